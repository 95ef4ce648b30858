module example.com/scratchpad

// The Go version and every dependency are pinned; go.sum holds their hashes.
// Dependabot's gomod ecosystem proposes updates.
go 1.26.8

require (
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/go-jose/go-jose/v4 v4.1.9
	golang.org/x/crypto v0.59.0
	golang.org/x/oauth2 v0.38.0
	golang.org/x/time v0.16.0
)

require golang.org/x/sys v0.50.0 // indirect
