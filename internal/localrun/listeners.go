package localrun

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
)

// errPortTaken: a port picked for a local server (the emulator, dynalite) was
// taken by another process before the server bound it.
var errPortTaken = errors.New("a port picked for a local server was taken before it bound it")

// untilBound starts a server on freshly picked ports until a start is not
// errPortTaken, at most 5 times.
func untilBound[S any](start func() (S, error)) (S, error) {
	var s S
	var err error
	for range 5 {
		if s, err = start(); !errors.Is(err, errPortTaken) {
			return s, err
		}
	}
	return s, err
}

// listensOn reports whether the process pid listens on every one of addrs
// (loopback IPv4 addresses). A port that another process listens on is
// errPortTaken. Where /proc is not there to say who listens, a port that
// accepts a connection counts as held.
func listensOn(pid int, addrs ...string) (bool, error) {
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		for _, a := range addrs {
			c, err := net.Dial("tcp", a)
			if err != nil {
				return false, nil
			}
			c.Close()
		}
		return true, nil
	}
	mine, err := socketInodes(pid)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // gone: the caller sees it exit
	}
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		inode, ok, err := listeningInode(table, a)
		switch {
		case err != nil:
			return false, err
		case !ok:
			return false, nil
		case !mine[inode]:
			return false, fmt.Errorf("%w: %s listens for another process", errPortTaken, a)
		}
	}
	return true, nil
}

// listeningInode finds the socket in LISTEN state on addr in a
// /proc/net/tcp table and returns its inode.
func listeningInode(table []byte, addr string) (string, bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false, err
	}
	ip := net.ParseIP(host).To4()
	p, err := strconv.Atoi(port)
	if ip == nil || err != nil {
		return "", false, fmt.Errorf("listens on %s: not an IPv4 address and port", addr)
	}
	// /proc/net/tcp writes the address as a 32-bit word in host order, then
	// the port, in hex: either byte order, so as not to assume the machine's.
	little := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], p)
	big := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[0], ip[1], ip[2], ip[3], p)
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		const listen = "0A"
		if len(f) > 9 && (f[1] == little || f[1] == big) && f[3] == listen {
			return f[9], true, nil
		}
	}
	return "", false, nil
}

// socketInodes returns the inodes of the sockets process pid has open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("the emulator's sockets: %w", err)
	}
	inodes := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // closed since the directory was read
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return inodes, nil
}
