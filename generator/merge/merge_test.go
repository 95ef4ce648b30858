package merge

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMergeTable(t *testing.T) {
	tests := []struct {
		name               string
		base, ours, theirs string
		opts               Options
		want               string
		conflicts          []Conflict
	}{
		{
			name: "changes far apart merge cleanly",
			base: "1\n2\n3\n4\n5\n6\n", ours: "1\nONE\n3\n4\n5\n6\n", theirs: "1\n2\n3\n4\nFIVE\n6\n",
			want: "1\nONE\n3\n4\nFIVE\n6\n",
		},
		{
			name: "identical changes merge cleanly",
			base: "a\nb\nc\n", ours: "a\nB\nc\nd\n", theirs: "a\nB\nc\nd\n",
			want: "a\nB\nc\nd\n",
		},
		{
			name: "same change plus an unrelated one on one side",
			base: "1\n2\n3\n4\n5\n6\n7\n", ours: "1\nTWO\n3\n4\n5\n6\n7\n", theirs: "1\nTWO\n3\n4\n5\nSIX\n7\n",
			want: "1\nTWO\n3\n4\n5\nSIX\n7\n",
		},
		{
			name: "both change the same line",
			base: "a\nb\nc\n", ours: "a\nmine\nc\n", theirs: "a\nnew\nc\n",
			want:      "a\n<<<<<<< yours\nmine\n=======\nnew\n>>>>>>> secgen\nc\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 6}},
		},
		{
			name: "diff3 style shows the base",
			base: "a\nb\nc\n", ours: "a\nmine\nc\n", theirs: "a\nnew\nc\n",
			opts:      Options{ShowBase: true, OursLabel: "local", TheirsLabel: "template", BaseLabel: "v0.1.0"},
			want:      "a\n<<<<<<< local\nmine\n||||||| v0.1.0\nb\n=======\nnew\n>>>>>>> template\nc\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 8}},
		},
		{
			name: "adjacent lines changed on both sides conflict",
			base: "a\nb\nc\nd\n", ours: "a\nB\nc\nd\n", theirs: "a\nb\nC\nd\n",
			want:      "a\n<<<<<<< yours\nB\nc\n=======\nb\nC\n>>>>>>> secgen\nd\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 8}},
		},
		{
			name: "user deleted what secgen changed",
			base: "a\nb\nc\n", ours: "a\nc\n", theirs: "a\nb2\nc\n",
			want:      "a\n<<<<<<< yours\n=======\nb2\n>>>>>>> secgen\nc\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 5}},
		},
		{
			name: "both append different lines",
			base: "a\n", ours: "a\nmine\n", theirs: "a\ntheirs\n",
			want:      "a\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> secgen\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 6}},
		},
		{
			name: "agreeing edges are moved out of the conflict",
			base: "x\n", ours: "head\nmine\ntail\n", theirs: "head\ntheirs\ntail\n",
			want:      "head\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> secgen\ntail\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 6}},
		},
		{
			name: "missing final newline inside a conflict gets one before the marker",
			base: "a\nb", ours: "a\nmine", theirs: "a\ntheirs",
			want:      "a\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> secgen\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 6}},
		},
		{
			name: "secgen adds a final newline the user kept away from",
			base: "a\nb\nc\nd\ne", ours: "A\nb\nc\nd\ne", theirs: "a\nb\nc\nd\ne\n",
			want: "A\nb\nc\nd\ne\n",
		},
		{
			name: "CRLF lines survive",
			base: "a\r\nb\r\nc\r\nd\r\ne\r\n", ours: "A\r\nb\r\nc\r\nd\r\ne\r\n", theirs: "a\r\nb\r\nc\r\nd\r\nE\r\n",
			want: "A\r\nb\r\nc\r\nd\r\nE\r\n",
		},
		{
			name: "empty base, both create the same file",
			base: "", ours: "x\n", theirs: "x\n",
			want: "x\n",
		},
		{
			name: "empty base, both create different files",
			base: "", ours: "x\ny\n", theirs: "x\nz\n",
			want:      "x\n<<<<<<< yours\ny\n=======\nz\n>>>>>>> secgen\n",
			conflicts: []Conflict{{StartLine: 2, EndLine: 6}},
		},
		{
			name: "two conflicts are both located",
			base: "1\n2\n3\n4\n5\n", ours: "A\n2\n3\n4\nE\n", theirs: "a\n2\n3\n4\ne\n",
			want: "<<<<<<< yours\nA\n=======\na\n>>>>>>> secgen\n2\n3\n4\n" +
				"<<<<<<< yours\nE\n=======\ne\n>>>>>>> secgen\n",
			conflicts: []Conflict{{StartLine: 1, EndLine: 5}, {StartLine: 9, EndLine: 13}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Merge([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs), tt.opts)
			if got := string(r.Content); got != tt.want {
				t.Errorf("content:\n%s\nwant:\n%s", got, tt.want)
			}
			if fmt.Sprint(r.Conflicts) != fmt.Sprint(tt.conflicts) {
				t.Errorf("conflicts = %v, want %v", r.Conflicts, tt.conflicts)
			}
			if r.Clean() != (len(tt.conflicts) == 0) {
				t.Errorf("Clean() = %v with conflicts %v", r.Clean(), r.Conflicts)
			}
		})
	}
}

// resolve keeps one side of every conflict region: "ours", "base" or
// "theirs". It understands only the markers Merge writes.
func resolve(t *testing.T, merged, side string) string {
	t.Helper()
	var out strings.Builder
	state := "" // "" outside a conflict, else the section being read
	for _, l := range splitLines(merged) {
		switch {
		case strings.HasPrefix(l, "<<<<<<<"):
			state = "ours"
		case state != "" && strings.HasPrefix(l, "|||||||"):
			state = "base"
		case state != "" && l == "=======\n":
			state = "theirs"
		case state != "" && strings.HasPrefix(l, ">>>>>>>"):
			state = ""
		case state == "" || state == side:
			out.WriteString(l)
		}
	}
	if state != "" {
		t.Fatalf("unterminated conflict in:\n%s", merged)
	}
	return out.String()
}

// checkConflictLines asserts every reported region starts and ends on a
// marker line.
func checkConflictLines(t *testing.T, r Result) {
	t.Helper()
	lines := splitLines(string(r.Content))
	prev := 0
	for _, c := range r.Conflicts {
		if c.StartLine <= prev || c.EndLine < c.StartLine+2 || c.EndLine > len(lines) {
			t.Fatalf("bad conflict region %+v after line %d of %d", c, prev, len(lines))
		}
		if !strings.HasPrefix(lines[c.StartLine-1], "<<<<<<<") || !strings.HasPrefix(lines[c.EndLine-1], ">>>>>>>") {
			t.Fatalf("region %+v does not span markers: %q .. %q", c, lines[c.StartLine-1], lines[c.EndLine-1])
		}
		prev = c.EndLine
	}
}

// randomText draws lines from a tiny alphabet so diffs are ambiguous and
// overlaps frequent.
func randomText(r *rand.Rand, maxLines int) string {
	var b strings.Builder
	n := r.IntN(maxLines + 1)
	for range n {
		b.WriteString(string(rune('a' + r.IntN(4))))
		b.WriteByte('\n')
	}
	return b.String()
}

// mutate applies a few random line edits to s.
func mutate(r *rand.Rand, s string) string {
	lines := splitLines(s)
	for range r.IntN(4) {
		at := r.IntN(len(lines) + 1)
		switch r.IntN(3) {
		case 0: // insert
			lines = append(lines[:at], append([]string{string(rune('a'+r.IntN(6))) + "\n"}, lines[at:]...)...)
		case 1: // delete
			if at < len(lines) {
				lines = append(lines[:at], lines[at+1:]...)
			}
		case 2: // replace
			if at < len(lines) {
				lines[at] = string(rune('a'+r.IntN(6))) + "\n"
			}
		}
	}
	return strings.Join(lines, "")
}

// checkProperties asserts the laws every merge must obey for these inputs.
func checkProperties(t *testing.T, base, ours, theirs string) {
	t.Helper()
	for _, opts := range []Options{{}, {ShowBase: true}} {
		if got := Merge([]byte(base), []byte(base), []byte(theirs), opts); string(got.Content) != theirs || !got.Clean() {
			t.Fatalf("merge(base, base, theirs) != theirs\nbase=%q theirs=%q got=%q", base, theirs, got.Content)
		}
		if got := Merge([]byte(base), []byte(ours), []byte(base), opts); string(got.Content) != ours || !got.Clean() {
			t.Fatalf("merge(base, ours, base) != ours\nbase=%q ours=%q got=%q", base, ours, got.Content)
		}
		if got := Merge([]byte(base), []byte(ours), []byte(ours), opts); string(got.Content) != ours || !got.Clean() {
			t.Fatalf("merge(base, x, x) != x\nbase=%q x=%q got=%q", base, ours, got.Content)
		}
		r := Merge([]byte(base), []byte(ours), []byte(theirs), opts)
		s := Merge([]byte(base), []byte(theirs), []byte(ours), opts)
		if len(r.Conflicts) != len(s.Conflicts) {
			t.Fatalf("asymmetric: %d vs %d conflicts\nbase=%q ours=%q theirs=%q", len(r.Conflicts), len(s.Conflicts), base, ours, theirs)
		}
		if r.Clean() && string(r.Content) != string(s.Content) {
			t.Fatalf("asymmetric clean merge\nbase=%q ours=%q theirs=%q\n%q vs %q", base, ours, theirs, r.Content, s.Content)
		}
		checkConflictLines(t, r)
		if !endsClean(base) || !endsClean(ours) || !endsClean(theirs) {
			continue
		}
		// Every section of a conflict is a run of lines of its own side.
		for _, side := range []struct{ name, text string }{{"ours", ours}, {"base", base}, {"theirs", theirs}} {
			for _, sec := range sections(t, string(r.Content), side.name) {
				if !strings.Contains(side.text, sec) {
					t.Fatalf("%s section %q is not in %q\nbase=%q ours=%q theirs=%q", side.name, sec, side.text, base, ours, theirs)
				}
			}
		}
	}
}

// sections returns the text of each conflict section of one side: "ours",
// "base" or "theirs".
func sections(t *testing.T, merged, side string) []string {
	t.Helper()
	var out []string
	state := "" // "" outside a conflict, else the section being read
	for _, l := range splitLines(merged) {
		next := state
		switch {
		case strings.HasPrefix(l, "<<<<<<<"):
			next = "ours"
		case state != "" && strings.HasPrefix(l, "|||||||"):
			next = "base"
		case state != "" && l == "=======\n":
			next = "theirs"
		case state != "" && strings.HasPrefix(l, ">>>>>>>"):
			next = ""
		case state == side:
			out[len(out)-1] += l
		}
		if next != state && next == side {
			out = append(out, "")
		}
		state = next
	}
	if state != "" {
		t.Fatalf("unterminated conflict in:\n%s", merged)
	}
	return out
}

// endsClean reports whether s is empty or ends in a newline and has no
// line that looks like a conflict marker.
func endsClean(s string) bool {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return false
	}
	for _, l := range splitLines(s) {
		for _, m := range []string{"<<<<<<<", "|||||||", "=======", ">>>>>>>"} {
			if strings.HasPrefix(l, m) {
				return false
			}
		}
	}
	return true
}

func TestMergeRandomProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		base := randomText(r, 12)
		checkProperties(t, base, mutate(r, base), mutate(r, base))
	}
}

// TestMergeDisjointChangesCompose builds edits on both sides that are
// separated by unchanged lines and checks the merge is exactly their
// composition. Lines are unique so the diff has only one answer.
func TestMergeDisjointChangesCompose(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 1000 {
		var base, ours, theirs, want strings.Builder
		id := 0
		line := func(kind string) string { id++; return fmt.Sprintf("%s-%d\n", kind, id) }
		for seg := range 1 + r.IntN(8) {
			if seg > 0 { // a separator the merge must leave alone
				for range 1 + r.IntN(2) {
					l := line("sep")
					base.WriteString(l)
					ours.WriteString(l)
					theirs.WriteString(l)
					want.WriteString(l)
				}
			}
			var orig, repl []string
			for range r.IntN(3) {
				orig = append(orig, line("base"))
			}
			for range r.IntN(3) {
				repl = append(repl, line("new"))
			}
			o, b := strings.Join(orig, ""), strings.Join(repl, "")
			base.WriteString(o)
			switch r.IntN(4) {
			case 0: // untouched
				ours.WriteString(o)
				theirs.WriteString(o)
				want.WriteString(o)
			case 1: // user's change
				ours.WriteString(b)
				theirs.WriteString(o)
				want.WriteString(b)
			case 2: // secgen's change
				ours.WriteString(o)
				theirs.WriteString(b)
				want.WriteString(b)
			case 3: // the same change on both sides
				ours.WriteString(b)
				theirs.WriteString(b)
				want.WriteString(b)
			}
		}
		got := Merge([]byte(base.String()), []byte(ours.String()), []byte(theirs.String()), Options{})
		if !got.Clean() || string(got.Content) != want.String() {
			t.Fatalf("iteration %d: got %q (conflicts %v)\nwant %q\nbase %q\nours %q\ntheirs %q",
				iter, got.Content, got.Conflicts, want.String(), base.String(), ours.String(), theirs.String())
		}
		checkProperties(t, base.String(), ours.String(), theirs.String())
	}
}

// TestMergeConflictKeepsBothSides changes one region of base differently on
// both sides, with fresh lines, so the merge has exactly one conflict; then
// keeping either side's sections gives that side's text back whole, and
// keeping the base's (diff3 style) gives the base.
func TestMergeConflictKeepsBothSides(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	block := func(kind string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s %d\n", kind, i)
		}
		return b.String()
	}
	for iter := range 500 {
		p, x, s := block("pre", r.IntN(4)), block("old", r.IntN(4)), block("post", r.IntN(4))
		xo, xt := block("mine", r.IntN(4)), block("new", r.IntN(4))
		if x == xo || x == xt || xo == xt {
			continue
		}
		base, ours, theirs := p+x+s, p+xo+s, p+xt+s
		for _, opts := range []Options{{}, {ShowBase: true}} {
			m := Merge([]byte(base), []byte(ours), []byte(theirs), opts)
			if len(m.Conflicts) != 1 {
				t.Fatalf("iteration %d: %d conflicts in %q", iter, len(m.Conflicts), m.Content)
			}
			if got := resolve(t, string(m.Content), "ours"); got != ours {
				t.Fatalf("taking yours gives %q, want %q", got, ours)
			}
			if got := resolve(t, string(m.Content), "theirs"); got != theirs {
				t.Fatalf("taking secgen gives %q, want %q", got, theirs)
			}
			if opts.ShowBase {
				if got := resolve(t, string(m.Content), "base"); got != base {
					t.Fatalf("taking base gives %q, want %q", got, base)
				}
			}
		}
	}
}

func FuzzMerge(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n")
	f.Add("a\nb\nc\n", "a\nx\nc\n", "a\ny\nc\n")
	f.Add("", "x\n", "y\n")
	f.Add("a\nb", "a\nb\n", "a\nc")
	f.Add("a\r\nb\r\n", "a\r\n", "b\r\n")
	f.Fuzz(func(t *testing.T, base, ours, theirs string) {
		checkProperties(t, base, ours, theirs)
	})
}

func TestLineDiffScripts(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		a := randomText(r, 15)
		b := mutate(r, a)
		if r.IntN(5) == 0 {
			b = randomText(r, 15)
		}
		if r.IntN(7) == 0 {
			b = strings.TrimSuffix(b, "\n")
		}
		checkScript(t, a, b)
	}
}

// checkScript asserts lineDiff(a, b) is sorted, never touches itself and
// turns a into b.
func checkScript(t *testing.T, a, b string) {
	t.Helper()
	al, bl := splitLines(a), splitLines(b)
	edits := lineDiff(a, b)
	var out []string
	at, bt := 0, 0
	for i, e := range edits {
		if e.A0 < at || (i > 0 && e.A0 == at) || e.A1 < e.A0 || e.B1 < e.B0 || e.B0-bt != e.A0-at || (e.A0 == e.A1 && e.B0 == e.B1) {
			t.Fatalf("bad edit %d %+v in %+v for %q -> %q", i, e, edits, a, b)
		}
		out = append(out, al[at:e.A0]...)
		out = append(out, bl[e.B0:e.B1]...)
		at, bt = e.A1, e.B1
	}
	out = append(out, al[at:]...)
	if got := strings.Join(out, ""); got != b {
		t.Fatalf("script %+v turns %q into %q, want %q", edits, a, got, b)
	}
}

func TestSplitLines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{"\n"}},
		{"a", []string{"a"}},
		{"a\nb", []string{"a\n", "b"}},
		{"a\n\nb\n", []string{"a\n", "\n", "b\n"}},
	} {
		got := splitLines(tt.in)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("splitLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if countLines(tt.in) != len(tt.want) {
			t.Errorf("countLines(%q) = %d, want %d", tt.in, countLines(tt.in), len(tt.want))
		}
	}
}

func TestTwoWay(t *testing.T) {
	r := TwoWay([]byte("a\nb\nc\n"), []byte("a\nB\nc\nd\n"), Options{})
	want := "a\n<<<<<<< yours\nb\n=======\nB\n>>>>>>> secgen\nc\n<<<<<<< yours\n=======\nd\n>>>>>>> secgen\n"
	if string(r.Content) != want || len(r.Conflicts) != 2 {
		t.Errorf("TwoWay = %q %v, want %q", r.Content, r.Conflicts, want)
	}
	if r := TwoWay([]byte("same\n"), []byte("same\n"), Options{}); !r.Clean() || string(r.Content) != "same\n" {
		t.Errorf("TwoWay of equal texts = %q %v", r.Content, r.Conflicts)
	}
	rnd := rand.New(rand.NewPCG(11, 12))
	for range 500 {
		a := randomText(rnd, 10)
		b := mutate(rnd, a)
		r := TwoWay([]byte(a), []byte(b), Options{})
		if got := resolve(t, string(r.Content), "ours"); got != a {
			t.Fatalf("taking yours from %q gives %q, want %q", r.Content, got, a)
		}
		if got := resolve(t, string(r.Content), "theirs"); got != b {
			t.Fatalf("taking secgen from %q gives %q, want %q", r.Content, got, b)
		}
	}
}

func TestMarkerLine(t *testing.T) {
	for in, want := range map[string]int{
		"a\nb\n":                               0,
		"a\n<<<<<<< yours\nx\n=======\n":       2,
		"a\r\nb\r\n>>>>>>>\r\n":                3,
		"<<<<<<<< not a marker\n":              0,
		"text <<<<<<< inside a line\n":         0,
		"ok\n<<<<<<< HEAD\nmine\n>>>>>>> main": 2,
	} {
		if got := MarkerLine([]byte(in)); got != want {
			t.Errorf("MarkerLine(%q) = %d, want %d", in, got, want)
		}
	}
}
