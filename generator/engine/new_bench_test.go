package engine

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/secgen/secgen/generator/gitinit"
)

// BenchmarkNewNoGit is `secgen new go-service --no-git` without the
// process: render, write the project and its stored bases, rename it into
// place (compare with cp -r of the tree: make bench).
func BenchmarkNewNoGit(b *testing.B) {
	benchmarkNew(b, nil)
}

// BenchmarkNewGit is the same with the initial commit.
func BenchmarkNewGit(b *testing.B) {
	benchmarkNew(b, &GitOptions{Author: gitinit.DefaultAuthor(), When: time.Unix(1e9, 0)})
}

func benchmarkNew(b *testing.B, git *GitOptions) {
	e := testEngine(b)
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		target := filepath.Join(dir, "p"+strconv.Itoa(i))
		if _, err := e.New(context.Background(), NewRequest{Blueprint: "go-service", Target: target, Git: git, StoreBases: git == nil}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.RemoveAll(target); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
