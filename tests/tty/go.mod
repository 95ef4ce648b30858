module github.com/secgen/secgen/tests/tty

go 1.26.8

require github.com/creack/pty v1.1.24
