module github.com/secgen/secgen/tests/actions

go 1.26.8

require go.yaml.in/yaml/v3 v3.0.4
