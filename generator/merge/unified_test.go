package merge

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The expected outputs were produced by GNU diff -u.
func TestUnifiedMatchesGNUDiff(t *testing.T) {
	tests := []struct {
		name, oldName, newName, a, b, want string
	}{
		{
			name: "two hunks and a missing final newline", oldName: "a/x", newName: "b/x",
			a: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
			b: "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n15\n16",
			want: "--- a/x\n+++ b/x\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n" +
				"@@ -11,5 +11,5 @@\n 11\n 12\n 13\n-14\n 15\n+16\n\\ No newline at end of file\n",
		},
		{
			name: "creation", oldName: "/dev/null", newName: "b/f", a: "", b: "x\ny\n",
			want: "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n",
		},
		{
			name: "deletion", oldName: "a/f", newName: "/dev/null", a: "x\ny\n", b: "",
			want: "--- a/f\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n",
		},
		{
			name: "close changes share a hunk", oldName: "a", newName: "b",
			a:    "a\nb\nc\nd\ne\nf\ng\nh\n",
			b:    "a\nB\nc\nd\ne\nf\ng\nH\n",
			want: "--- a\n+++ b\n@@ -1,8 +1,8 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n-h\n+H\n",
		},
		{name: "equal texts give nothing", oldName: "a", newName: "b", a: "same\n", b: "same\n", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unified(tt.oldName, tt.newName, []byte(tt.a), []byte(tt.b), -1)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// applyUnified is a strict patch(1) for one file: it checks every context
// and removed line against old and returns the patched text.
func applyUnified(t *testing.T, patch, old string) string {
	t.Helper()
	if patch == "" {
		return old
	}
	lines := splitLines(patch)
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("bad header in:\n%s", patch)
	}
	src := splitLines(old)
	var out []string
	at := 0 // next line of src to copy
	lines = lines[2:]
	for len(lines) > 0 {
		h := strings.TrimSuffix(lines[0], "\n")
		f := strings.Fields(h)
		if len(f) != 4 || f[0] != "@@" || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
			t.Fatalf("bad hunk header %q", h)
		}
		os, oc := parseRange(t, f[1][1:])
		ns, nc := parseRange(t, f[2][1:])
		start := os - 1
		if oc == 0 {
			start = os
		}
		if start < at {
			t.Fatalf("hunk %q goes backwards", h)
		}
		if got := len(out) + start - at + 1; nc > 0 && got != ns {
			t.Fatalf("hunk %q: new start %d, want %d", h, ns, got)
		}
		out = append(out, src[at:start]...)
		at = start
		lines = lines[1:]
		var oldN, newN int
		for len(lines) > 0 && !strings.HasPrefix(lines[0], "@@") {
			l := lines[0]
			lines = lines[1:]
			body := l[1:]
			if len(lines) > 0 && lines[0] == "\\ No newline at end of file\n" {
				body = strings.TrimSuffix(body, "\n")
				lines = lines[1:]
			}
			switch l[0] {
			case ' ', '-':
				if at >= len(src) || src[at] != body {
					t.Fatalf("line %d: patch has %q, text has %q", at+1, body, src[min(at, len(src)-1)])
				}
				if l[0] == ' ' {
					out = append(out, body)
					newN++
				}
				at++
				oldN++
			case '+':
				out = append(out, body)
				newN++
			default:
				t.Fatalf("bad patch line %q", l)
			}
		}
		if oldN != oc || newN != nc {
			t.Fatalf("hunk %q has %d old and %d new lines", h, oldN, newN)
		}
	}
	out = append(out, src[at:]...)
	return strings.Join(out, "")
}

func parseRange(t *testing.T, s string) (start, count int) {
	t.Helper()
	count = 1
	if a, b, ok := strings.Cut(s, ","); ok {
		s = a
		var err error
		if count, err = strconv.Atoi(b); err != nil {
			t.Fatalf("bad range %q", s)
		}
	}
	start, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("bad range %q", s)
	}
	return start, count
}

func checkUnified(t *testing.T, a, b string, context int) {
	t.Helper()
	patch := Unified("a/f", "b/f", []byte(a), []byte(b), context)
	if (patch == "") != (a == b) {
		t.Fatalf("patch %q for %q -> %q", patch, a, b)
	}
	if got := applyUnified(t, patch, a); got != b {
		t.Fatalf("patch\n%s turns %q into %q, want %q", patch, a, got, b)
	}
}

func TestUnifiedRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 2000 {
		a := randomText(r, 30)
		b := mutate(r, mutate(r, a))
		if r.IntN(5) == 0 {
			b = strings.TrimSuffix(b, "\n")
		}
		if r.IntN(5) == 0 {
			a = strings.TrimSuffix(a, "\n")
		}
		checkUnified(t, a, b, r.IntN(5))
	}
}

func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", uint8(3))
	f.Add("", "x", uint8(0))
	f.Add("x\ny", "x\ny\n", uint8(1))
	f.Fuzz(func(t *testing.T, a, b string, context uint8) {
		checkUnified(t, a, b, int(context%8))
	})
}
