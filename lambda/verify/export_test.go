package verify

// MaxFilterValues exposes the engine's split to its external tests.
const MaxFilterValues = maxFilterValues
