package plan

import (
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	good := []string{"a", "a/b.go", ".github/workflows/ci.yml", "cmd/x/main.go", "ü/日本"}
	bad := []string{"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "a\\b", "a\x00b", "C:/x",
		".git/config", "a/.git/hooks/x", " a", "a\nb", strings.Repeat("a", MaxPathLength+1), "..", "."}
	for _, p := range good {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q) = %v", p, err)
		}
	}
	for _, p := range bad {
		if err := CheckPath(p); err == nil {
			t.Errorf("CheckPath(%q) accepted", p)
		}
	}
}

func TestCheckSegment(t *testing.T) {
	for _, seg := range []string{"staging", "eu-west-1", "a.b", "ü"} {
		if err := CheckSegment(seg); err != nil {
			t.Errorf("CheckSegment(%q) = %v", seg, err)
		}
	}
	for _, seg := range []string{"", ".", "..", "../x", "a/b", "a\\b", ".git", " a", "a\x00b", "a\tb"} {
		if err := CheckSegment(seg); err == nil {
			t.Errorf("CheckSegment(%q) accepted", seg)
		}
	}
}

func TestNewRefusesDuplicatesAndClashes(t *testing.T) {
	if _, err := New([]File{{Path: "a", Mode: ModeFile, Component: "x"}, {Path: "a", Mode: ModeFile, Component: "y"}}); err == nil {
		t.Fatal("duplicate path accepted")
	}
	if _, err := New([]File{{Path: "a", Mode: ModeFile}, {Path: "a/b", Mode: ModeFile}}); err == nil {
		t.Fatal("a file at another file's directory accepted")
	}
	if _, err := New([]File{{Path: "a", Mode: 0o777}}); err == nil {
		t.Fatal("mode 0777 accepted")
	}
	p, err := New([]File{{Path: "b", Mode: ModeFile}, {Path: "a", Mode: ModeExecutable}})
	if err != nil || p.Files[0].Path != "a" {
		t.Fatalf("plan not sorted: %v %v", p, err)
	}
}
