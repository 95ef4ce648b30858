package lint_test

import (
	"testing"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/lint"
)

func TestFreeText(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    answers.Question
		want bool
	}{
		{"string without pattern", answers.Question{Type: answers.String}, true},
		{"multiline with a safe pattern", answers.Question{Type: answers.String, Multiline: true, Validate: answers.Rules{Pattern: "[a-z]+"}}, true},
		{"DNS label", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: "[a-z]([-a-z0-9]{0,38}[a-z0-9])?"}}, false},
		{"module path", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: `[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[A-Za-z0-9._~-]+)*`}}, false},
		{"IAM role ARN", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: `(arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512})?`}}, false},
		{"dot admits anything", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: ".*"}}, true},
		{"space", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: "[a-z ]+"}}, true},
		{"quote", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: `[a-z"]+`}}, true},
		{"dollar and brace", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: `\$\{[a-z]+\}`}}, true},
		{"negated class", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: `[^"]+`}}, true},
		{"\\S", answers.Question{Type: answers.String, Validate: answers.Rules{Pattern: `\S+`}}, true},
		{"list without pattern", answers.Question{Type: answers.List}, true},
		{"list of handles", answers.Question{Type: answers.List, Validate: answers.Rules{Pattern: "@[A-Za-z0-9-]+"}}, false},
		{"enum", answers.Question{Type: answers.Enum, Choices: []string{"a b", "c"}}, false},
		{"int", answers.Question{Type: answers.Int}, false},
		{"bool", answers.Question{Type: answers.Bool}, false},
	} {
		if got := lint.FreeText(&tc.q); got != tc.want {
			t.Errorf("%s: FreeText = %v, want %v", tc.name, got, tc.want)
		}
	}
}
