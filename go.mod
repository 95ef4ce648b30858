module github.com/secgen/secgen

go 1.26.8

require (
	github.com/go-git/go-git/v5 v5.19.3
	github.com/sergi/go-diff v1.3.2-0.20230802210424-5b0b94c5c0d3
)

require golang.org/x/sys v0.47.0
