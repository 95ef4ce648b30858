module example.org/tool

go 1.22

require golang.org/x/tools v0.30.0
