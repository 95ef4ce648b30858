module github.com/secgen/secgen/tests/secrets

go 1.26.8
