module github.com/secgen/secgen

go 1.26.8
