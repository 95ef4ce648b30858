// Command gen writes Go code from a template; it serves nothing.
package main

import (
	"fmt"
	"os"
	"text/template"
)

var tmpl = template.Must(template.New("x").Parse("package {{.}}\n"))

func main() {
	prompt := fmt.Sprintf("Delete asset %s?", os.Args[1])
	fmt.Println(prompt)
	_ = tmpl.Execute(os.Stdout, "gen")
}
