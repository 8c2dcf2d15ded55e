package verify

// origMemoKey keeps, in an event's memo, the original root volume a root
// replacement read before the swap (kind_rootreplace.go).
const origMemoKey = "orig-root"
