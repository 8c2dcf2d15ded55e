package rules

// Rule IDs of the CreateReplaceRootVolumeTask table.
const (
	RootreplaceLaunchEncrypted = "rootreplace/launch/encrypted"
	RootreplaceLaunchPlain     = "rootreplace/launch/plain"
	RootreplaceLaunchEBD       = "rootreplace/launch/ebd"
	RootreplaceSourceKeepOrig  = "rootreplace/source/keep-orig"
	RootreplaceSourcePlain     = "rootreplace/source/plain"
	RootreplaceSourceEBD       = "rootreplace/source/ebd"
	RootreplaceSourceEncOwned  = "rootreplace/source/enc-owned"
	RootreplaceSourceEncShared = "rootreplace/source/enc-shared"
	RootreplaceVolume          = "rootreplace/volume"
	// RootreplaceOrigUnknown is no row of the table: the swap happened before
	// the first look (replay, audit, backfill), so ORIG is unknown and the new
	// root is judged against the policy only.
	RootreplaceOrigUnknown = "rootreplace/orig-unknown"
)

// replaceRootKind: the source is the snapshot, or the AMI's root snapshot
// (EmptySource for the launch state); Original is ORIG's state. The call has
// no key parameter, so Encrypted and K take no part.
var replaceRootKind = Kind{
	Op: CreateReplaceRootVolumeTask, EventName: "CreateReplaceRootVolumeTask", Creates: "volume",
	Parent: "instance", Show: "aws ec2 describe-replace-root-volume-tasks --filters Name=instance-id,Values=<parent>",
	Title:        "CreateReplaceRootVolumeTask: the one replacement root volume",
	Sources:      []SourceState{EmptySource, UnencryptedSource, EncryptedSource},
	Destinations: []Destination{ToRegion},
	Restores:     []Restore{FromLaunchState, FromSource, FromVolume},
	Originals:    []SourceState{UnencryptedSource, EncryptedSource},
	table:        replaceRootTable,
}

// replaceRootTable is spec/rules.md "CreateReplaceRootVolumeTask", in the
// spec's order. Columns: restore from, original root, source, owned, EBD.
var replaceRootTable = []row{
	{id: RootreplaceLaunchEncrypted, when: "launch state, encrypted original root", to: region, restore: fromLaunch, orig: encrypted, source: anySource, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri, then: OriginalKey},
	{id: RootreplaceLaunchPlain, when: "launch state, unencrypted original root, EBD off", to: region, restore: fromLaunch, orig: unencrypted, source: anySource, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: no, then: Unencrypted},
	{id: RootreplaceLaunchEBD, when: "launch state, unencrypted original root, EBD on", to: region, restore: fromLaunch, orig: unencrypted, source: anySource, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: yes, then: DefaultKey},
	{id: RootreplaceSourceKeepOrig, when: "snapshot or AMI, encrypted original root", to: region, restore: fromSource, orig: encrypted, source: anySource, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri, then: OriginalKey},
	{id: RootreplaceSourcePlain, when: "snapshot or AMI, unencrypted original root, unencrypted source, EBD off", to: region, restore: fromSource, orig: unencrypted, source: empty | unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: no, then: Unencrypted},
	{id: RootreplaceSourceEBD, when: "snapshot or AMI, unencrypted original root, unencrypted source, EBD on", to: region, restore: fromSource, orig: unencrypted, source: empty | unencrypted, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: yes, then: DefaultKey},
	{id: RootreplaceSourceEncOwned, when: "snapshot or AMI, unencrypted original root, encrypted source the account owns", to: region, restore: fromSource, orig: unencrypted, source: encrypted, owned: yes, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri, then: SourceKey},
	{id: RootreplaceSourceEncShared, when: "snapshot or AMI, unencrypted original root, encrypted source shared with the account", to: region, restore: fromSource, orig: unencrypted, source: encrypted, owned: no, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri, then: DefaultKey},
	{id: RootreplaceVolume, when: "an existing volume", to: region, restore: fromVolume, source: anySource, owned: anyTri, same: anyTri, enc: anyFlag, key: anyTri, ebd: anyTri, then: NoNewResult},
}
