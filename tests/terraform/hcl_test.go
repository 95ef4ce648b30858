package terraform

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// TestHCLParsesAndIsCanonical parses every .tf and .hcl file with the HCL native syntax
// parser and checks that hclwrite.Format would not change a byte of it.
func TestHCLParsesAndIsCanonical(t *testing.T) {
	for _, tr := range loadTrees(t) {
		for _, rel := range tr.files {
			tr.body(t, rel)
			src := tr.src[rel]
			if formatted := hclwrite.Format(src); !bytes.Equal(formatted, src) {
				t.Errorf("%s: %s is not canonically formatted; hclwrite.Format gives:\n%s", tr.name, rel, formatted)
			}
		}
	}
}

// suppression matches the inline ignore comments of tfsec and trivy.
var suppression = regexp.MustCompile(`(?i)(tfsec|trivy)\s*:\s*ignore`)

// TestNoScannerSuppressions refuses any inline scanner suppression: findings are fixed in
// the templates, never silenced.
func TestNoScannerSuppressions(t *testing.T) {
	for _, tr := range loadTrees(t) {
		for _, rel := range tr.files {
			if loc := suppression.FindIndex(tr.src[rel]); loc != nil {
				t.Errorf("%s: %s holds a scanner suppression %q", tr.name, rel, tr.src[rel][loc[0]:loc[1]])
			}
		}
	}
}
