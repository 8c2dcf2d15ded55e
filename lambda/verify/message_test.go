package verify

import "testing"

// A device name or zone taken from a record cannot break out of the command
// a fix suggests.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/dev/xvda": "/dev/xvda",
		"DeviceName=/dev/sdb,Ebs={Encrypted=true,KmsKeyId=k}": "'DeviceName=/dev/sdb,Ebs={Encrypted=true,KmsKeyId=k}'",
		"/dev/sdb; rm -rf /": "'/dev/sdb; rm -rf /'",
		"it's":               `'it'\''s'`,
		"$(id)":              "'$(id)'",
		"":                   "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s; want %s", in, got, want)
		}
	}
}
