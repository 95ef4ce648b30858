package server

import (
	"bytes"
	"strings"
	"testing"
)

// APP-05: every value reaches the page through html/template, which escapes it
// for its context; markup in data never becomes markup in the page.
func TestIndexTemplateEscapes(t *testing.T) {
	var buf bytes.Buffer
	err := indexTemplate.Execute(&buf, indexData{
		Name:        `svc"><script>alert(1)</script>`,
		Description: `<img src=x onerror=alert(1)> & "quotes"`,
		Subject:     `<b>mallory</b>`,
	})
	if err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, raw := range []string{"<script>", "<img", "<b>"} {
		if strings.Contains(page, raw) {
			t.Fatalf("unescaped %q in page:\n%s", raw, page)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;", "&lt;img", "&lt;b&gt;mallory&lt;/b&gt;", "&amp;"} {
		if !strings.Contains(page, escaped) {
			t.Fatalf("missing %q in page:\n%s", escaped, page)
		}
	}
}
