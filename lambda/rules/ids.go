package rules

// Rule IDs, one per row of the decision tables in spec/rules.md. They are a
// contract: verdicts, SNS messages and users' filters carry them.
const (
	LaunchEmptyPlain              = "launch/empty/plain"
	LaunchEmptyEBD                = "launch/empty/ebd"
	LaunchEmptyEncrypt            = "launch/empty/encrypt"
	LaunchUnencryptedPlain        = "launch/unencrypted/plain"
	LaunchUnencryptedEBD          = "launch/unencrypted/ebd"
	LaunchUnencryptedEncrypt      = "launch/unencrypted/encrypt"
	LaunchEncryptedOwned          = "launch/encrypted/owned"
	LaunchEncryptedShared         = "launch/encrypted/shared"
	LaunchKey                     = "launch/key"
	LaunchKeyWithoutEncrypted     = "launch/key-without-encrypted"
	CopyUnencryptedPlain          = "copy/unencrypted/plain"
	CopyUnencryptedEBD            = "copy/unencrypted/ebd"
	CopyUnencryptedEncrypt        = "copy/unencrypted/encrypt"
	CopyEncryptedOwned            = "copy/encrypted/owned"
	CopyEncryptedOwnedCrossRegion = "copy/encrypted/owned-cross-region"
	CopyEncryptedShared           = "copy/encrypted/shared"
	CopyOutpost                   = "copy/outpost"
	CopyKey                       = "copy/key"
	CopyKeyWithoutEncrypted       = "copy/key-without-encrypted"
	CopyEncryptedDecrypt          = "copy/encrypted/decrypt"
)
