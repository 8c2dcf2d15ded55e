package world

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A list of a Region's resources is declared once, here or beside its
// answer (imports.go, rootreplace.go): its name in the world file, its field
// in Region (and in Later when its objects can change), its objects' ID and
// the describe output it is recorded from. Everything else is derived from
// the declaration: the field names Parse accepts, decoding, the index by ID,
// a live view's copies and later changes, Region.Record, and capture's order.
type list interface {
	name() string
	noun() string
	// decodeInto is where Parse decodes the list's field of a Region;
	// laterInto the field of a later entry (nil: the list never changes
	// after the world is written).
	decodeInto(r *Region) any
	laterInto(e *Later) any
	len(r *Region) int
	// byID maps each object's ID to its first index in the Region's list;
	// byKeys builds the By indexes.
	byID(r *Region) map[string]int
	byKeys(r *Region) map[string]map[string][]int
	// cloneInto gives dst a copy of src's list (typed: a decoded Region's),
	// so that a live view's changes never reach the Region it was made from.
	cloneInto(dst, src *Region)
	// slot is the list's place in a lazily loaded Region (lazy.go);
	// decodeHeld moves it from there into its field, decodedInto puts the
	// decoded list into another Region's field.
	slot(z *lazyRegion) lazySlot
	decodeHeld(r *Region) error
	decodedInto(dst, src *Region) error
	// apply replaces the objects of the same ID with the entry's, adds the
	// others and drops the removed IDs (when removable).
	apply(r *Region, e *Later)
	// removable reports whether a later entry's Removed IDs apply to the
	// list's objects, and so whether a describe call of the list that names
	// one of them counts toward the entry.
	removable() bool
	// concerns reports whether a describe call of this list would show one
	// of the entry's objects.
	concerns(base *Region, e *Later, q call) bool
	// record keeps the objects of a describe output of this list; false when
	// out is another output.
	record(r *Region, out any) bool
	sort(r *Region)
	// about describes the list for the documentation (docs/world-file.md).
	about() listAbout
	// elem is the objects' SDK type; keyValues the keys of each object, as
	// the index takes them (tests hold a lazily loaded list's to a decoded
	// one's).
	elem() reflect.Type
	keyValues(r *Region) []any
}

// listAbout is what docs/world-file.md's table says of a list.
type listAbout struct {
	name, noun, operation string
	later                 bool
	by                    []string
}

// listOf declares one list of objects of type T, whose keys (what the
// index reads of an object) are K.
type listOf[T, K any] struct {
	Name string
	// Noun names one object, for capture's summary ("launch template
	// version").
	Noun string
	// In is the Region's field; Later the later entries' field, nil when
	// the list's objects never change after the world is written.
	In    func(*Region) *[]T
	Later func(*Later) *[]T
	// Keys are what the index reads of an object: a struct of fields of T
	// by the same names, which a lazily loaded world decodes from the file
	// without decoding the object (lazy.go, scan.go; a test holds the two
	// ways to agreeing).
	Keys func(T) K
	ID   func(K) string
	// By are the list's other indexes: a filter's name (or another key a
	// lookup uses) → an object's values under it ("description" → a
	// snapshot's Description). ix.by answers them, ascending.
	By map[string]func(K) []string
	// Out is the describe output that lists the objects (from).
	Out output[T]
	// Match is what a call's filters ask of an object, for a later entry's
	// object (nil: any object named by the call, or every one).
	Match func(T, []ec2types.Filter) bool
	// Concerns replaces the check of a later entry against a call, for a
	// list whose objects a call shows through another list (nil: the
	// entry's objects named by the call that Match).
	Concerns func(base *Region, e *Later, q call) bool
	// Compare orders capture's list (nil: by ID).
	Compare func(a, b T) int
	// NeverRemoved says that a later entry's Removed IDs never apply to the list:
	// its objects are replaced or added, never removed (VM Import tasks,
	// which leave the listing by age, not by a removal; and a list that
	// never changes after the world is written).
	NeverRemoved bool
}

// lists are the declared lists, in the order Go initialises them: by file
// name, then within a file.
var lists []list

// declare registers a list and returns it, for the answers that read it.
func declare[T, K any](l *listOf[T, K]) *listOf[T, K] {
	lists = append(lists, l)
	return l
}

// listNamed is the declared list of that name in the world file.
func listNamed(name string) list {
	for _, l := range lists {
		if l.name() == name {
			return l
		}
	}
	return nil
}

func (l *listOf[T, K]) name() string               { return l.Name }
func (l *listOf[T, K]) noun() string               { return l.Noun }
func (l *listOf[T, K]) decodeInto(r *Region) any   { return l.In(r) }
func (l *listOf[T, K]) len(r *Region) int          { return l.of(r).len() }
func (l *listOf[T, K]) cloneInto(dst, src *Region) { *l.In(dst) = slices.Clone(*l.In(src)) }

func (l *listOf[T, K]) laterInto(e *Later) any {
	if l.Later == nil {
		return nil
	}
	return l.Later(e)
}

// of is the Region's list, wherever it is held.
func (l *listOf[T, K]) of(r *Region) held[T, K] {
	return held[T, K]{*l.In(r), slotPtr[T, K]{r.lazy, l, l.Keys}.get(), l.Keys}
}

func (l *listOf[T, K]) elem() reflect.Type { return reflect.TypeFor[T]() }

func (l *listOf[T, K]) keyValues(r *Region) []any {
	var out []any
	for _, k := range l.of(r).keys() {
		out = append(out, k)
	}
	return out
}

// id is an object's ID.
func (l *listOf[T, K]) id(x T) string { return l.ID(l.Keys(x)) }

func (l *listOf[T, K]) slot(z *lazyRegion) lazySlot { return slotPtr[T, K]{z, l, l.Keys} }

func (l *listOf[T, K]) decodeHeld(r *Region) error {
	s := slotPtr[T, K]{r.lazy, l, l.Keys}
	h := s.get()
	if h == nil {
		return nil
	}
	all, err := h.all()
	if err != nil {
		return err
	}
	*l.In(r) = all
	s.set(nil)
	return nil
}

func (l *listOf[T, K]) decodedInto(dst, src *Region) error {
	all, err := l.of(src).all()
	*l.In(dst) = all
	return err
}

func (l *listOf[T, K]) byID(r *Region) map[string]int {
	h := l.of(r)
	m := make(map[string]int, h.len())
	for i, k := range h.keys() {
		id := l.ID(k)
		if _, dup := m[id]; !dup {
			m[id] = i
		}
	}
	return m
}

func (l *listOf[T, K]) byKeys(r *Region) map[string]map[string][]int {
	out := make(map[string]map[string][]int, len(l.By))
	for key, values := range l.By {
		m := map[string][]int{}
		for i, k := range l.of(r).keys() {
			for _, v := range values(k) {
				if n := m[v]; len(n) == 0 || n[len(n)-1] != i {
					m[v] = append(n, i)
				}
			}
		}
		out[key] = m
	}
	return out
}

func (l *listOf[T, K]) removable() bool { return l.Later != nil && !l.NeverRemoved }

func (l *listOf[T, K]) apply(r *Region, e *Later) {
	have := *l.In(r)
	if l.Later != nil {
		for _, x := range *l.Later(e) {
			if i := slices.IndexFunc(have, func(h T) bool { return l.id(h) == l.id(x) }); i >= 0 {
				have[i] = x
			} else {
				have = append(have, x)
			}
		}
	}
	if l.removable() {
		have = slices.DeleteFunc(have, func(h T) bool { return slices.Contains(e.Removed, l.id(h)) })
	}
	*l.In(r) = have
}

func (l *listOf[T, K]) concerns(base *Region, e *Later, q call) bool {
	if l.Later == nil || q.list != list(l) {
		return false
	}
	if l.Concerns != nil {
		return l.Concerns(base, e, q)
	}
	return slices.ContainsFunc(*l.Later(e), func(x T) bool {
		return (len(q.ids) == 0 || slices.Contains(q.ids, l.id(x))) && (l.Match == nil || l.Match(x, q.filters))
	})
}

func (l *listOf[T, K]) record(r *Region, out any) bool {
	got, ok := l.Out.items(out)
	if !ok {
		return false
	}
	for _, x := range got {
		all := *l.In(r)
		if i := slices.IndexFunc(all, func(y T) bool { return l.id(y) == l.id(x) }); i >= 0 {
			all[i] = x
		} else {
			*l.In(r) = append(all, x)
		}
	}
	return true
}

func (l *listOf[T, K]) about() listAbout {
	return listAbout{l.Name, l.Noun, l.Out.operation(), l.Later != nil, slices.Sorted(maps.Keys(l.By))}
}

func (l *listOf[T, K]) sort(r *Region) {
	compare := l.Compare
	if compare == nil {
		compare = func(a, b T) int { return cmp.Compare(l.id(a), l.id(b)) }
	}
	*l.In(r) = slices.SortedStableFunc(slices.Values(*l.In(r)), compare)
}

// The lists every kind reads. A list that one kind alone reads is declared
// beside its answer.
var (
	images = declare(&listOf[ec2types.Image, imageKeys]{
		Name: "images", Noun: "image", In: func(r *Region) *[]ec2types.Image { return &r.Images },
		Later: func(e *Later) *[]ec2types.Image { return &e.Images },
		Keys:  imageKeysOf,
		ID:    func(k imageKeys) string { return aws.ToString(k.ImageId) },
		Out:   from(func(o *ec2.DescribeImagesOutput) []ec2types.Image { return o.Images }),
	})
	snapshots = declare(&listOf[ec2types.Snapshot, snapshotKeys]{
		Name: "snapshots", Noun: "snapshot", In: func(r *Region) *[]ec2types.Snapshot { return &r.Snapshots },
		Later: func(e *Later) *[]ec2types.Snapshot { return &e.Snapshots },
		Keys:  snapshotKeysOf,
		ID:    func(k snapshotKeys) string { return aws.ToString(k.SnapshotId) },
		// The ImportSnapshot fallback's filter.
		By:  map[string]func(snapshotKeys) []string{"description": func(k snapshotKeys) []string { return optionalValue(k.Description) }},
		Out: from(func(o *ec2.DescribeSnapshotsOutput) []ec2types.Snapshot { return o.Snapshots }),
	})
	// A later entry's instances come with the volumes they attach: they
	// count against DescribeVolumes calls (volumesConcern), never against
	// DescribeInstances, so that a root replacement reads the instance as it
	// was before the entry applies.
	instances = declare(&listOf[ec2types.Instance, instanceKeys]{
		Name: "instances", Noun: "instance", In: func(r *Region) *[]ec2types.Instance { return &r.Instances },
		Concerns: func(*Region, *Later, call) bool { return false },
		Later:    func(e *Later) *[]ec2types.Instance { return &e.Instances },
		Keys:     instanceKeysOf,
		ID:       func(k instanceKeys) string { return aws.ToString(k.InstanceId) },
		Out: from(func(o *ec2.DescribeInstancesOutput) (all []ec2types.Instance) {
			for _, res := range o.Reservations {
				all = append(all, res.Instances...)
			}
			return all
		}),
	})
	// A later entry's volumes concern a DescribeVolumes call through their
	// attachments, which the instances may give them (live.go).
	volumes = declare(&listOf[ec2types.Volume, volumeKeys]{
		Name: "volumes", Noun: "volume", In: func(r *Region) *[]ec2types.Volume { return &r.Volumes },
		Concerns: volumesConcern,
		Later:    func(e *Later) *[]ec2types.Volume { return &e.Volumes },
		Keys:     volumeKeysOf,
		ID:       func(k volumeKeys) string { return aws.ToString(k.VolumeId) },
		Out:      from(func(o *ec2.DescribeVolumesOutput) []ec2types.Volume { return o.Volumes }),
	})
	launchTemplateVersions = declare(&listOf[ec2types.LaunchTemplateVersion, templateKeys]{
		Name: "launchTemplateVersions", Noun: "launch template version", In: func(r *Region) *[]ec2types.LaunchTemplateVersion { return &r.LaunchTemplateVersions },
		// A template is asked for by ID or by name.
		By: map[string]func(templateKeys) []string{
			"id":   func(k templateKeys) []string { return optionalValue(k.LaunchTemplateId) },
			"name": func(k templateKeys) []string { return optionalValue(k.LaunchTemplateName) },
		},
		Keys: templateKeysOf,
		ID: func(k templateKeys) string {
			return aws.ToString(k.LaunchTemplateId) + "/" + strconv.FormatInt(aws.ToInt64(k.VersionNumber), 10)
		},
		Out: from(func(o *ec2.DescribeLaunchTemplateVersionsOutput) []ec2types.LaunchTemplateVersion {
			return o.LaunchTemplateVersions
		}),
		Compare: func(a, b ec2types.LaunchTemplateVersion) int {
			return cmp.Or(cmp.Compare(aws.ToString(a.LaunchTemplateId), aws.ToString(b.LaunchTemplateId)), cmp.Compare(aws.ToInt64(a.VersionNumber), aws.ToInt64(b.VersionNumber)))
		},
	})
)

// optionalValue is an optional string as the values of an index: none when
// it is absent.
func optionalValue(s *string) []string {
	if s == nil {
		return nil
	}
	return []string{*s}
}

// output is the describe output a list's objects come in.
type output[T any] interface {
	// items are the objects of out, false when out is another output.
	items(out any) ([]T, bool)
	// operation is the describe call's name ("DescribeImages").
	operation() string
}

// describeOutput is an output of type O whose objects list returns.
type describeOutput[O, T any] struct{ list func(*O) []T }

// from declares the describe output a list is recorded from: its objects are
// items of an output of type O (none for a nil one), and any other output is
// not this list's.
func from[O any, T any](items func(*O) []T) output[T] { return describeOutput[O, T]{items} }

func (d describeOutput[O, T]) items(out any) ([]T, bool) {
	o, ok := out.(*O)
	if !ok || o == nil {
		return nil, ok
	}
	return d.list(o), true
}

func (describeOutput[O, T]) operation() string {
	return strings.TrimSuffix(reflect.TypeFor[O]().Name(), "Output")
}

// Sorted returns a copy of the Region with every list in the order of its
// objects' IDs (keys by ARN, their aliases by name), so that the same answers
// always give the same world file (capture writes it).
func (r *Region) Sorted() *Region {
	c := *r
	c.index = nil
	for _, l := range lists {
		l.cloneInto(&c, r)
		l.sort(&c)
	}
	c.Keys = slices.Clone(r.Keys)
	for i := range c.Keys {
		c.Keys[i].Aliases = slices.Sorted(slices.Values(c.Keys[i].Aliases))
	}
	slices.SortFunc(c.Keys, func(a, b Key) int { return cmp.Compare(aws.ToString(a.Arn), aws.ToString(b.Arn)) })
	return &c
}

// Count is how many objects of one list a world holds.
type Count struct {
	Noun string // one object: "image", "launch template version"
	N    int
}

// Counts are the sizes of the world's lists over every account and Region,
// in the order of their declarations.
func (w *World) Counts() []Count {
	out := make([]Count, len(lists))
	for i, l := range lists {
		out[i].Noun = l.noun()
		for _, regions := range w.Accounts {
			for _, r := range regions {
				if r != nil {
					out[i].N += l.len(r)
				}
			}
		}
	}
	return out
}
