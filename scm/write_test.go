package scm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTree returns every regular file under dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteReproducible(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes = 8
	cfg.Weights = true
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	var got []Summary
	if err := Write(context.Background(), a, cfg, 5, 7, WriteOptions{Workers: 1, Progress: func(s Summary) { got = append(got, s) }}); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), b, cfg, 5, 7, WriteOptions{Workers: 3}); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), c, cfg, 5, 8, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ta, tb, tc := readTree(t, a), readTree(t, b), readTree(t, c)
	if len(ta) != 20 {
		t.Fatalf("%d files, want 5 graphs × 4", len(ta))
	}
	for name, data := range ta {
		if !bytes.Equal(data, tb[name]) {
			t.Errorf("%s differs between two runs with the same seed (1 vs 3 workers)", name)
		}
	}
	same := 0
	for i := range 5 {
		name := filepath.Join(GraphDirName(i), AdjacencyFile)
		if bytes.Equal(ta[name], tc[name]) {
			same++
		}
	}
	if same > 1 {
		t.Errorf("%d of 5 graphs identical under seeds 7 and 8", same)
	}
	for i, s := range got {
		if s.Index != i || s.Nodes != 8 || s.Dir != filepath.Join(a, GraphDirName(i)) {
			t.Errorf("progress %d: %+v", i, s)
		}
	}
	if len(got) != 5 {
		t.Errorf("%d progress calls, want 5", len(got))
	}

	// The written files describe the same graph.
	var meta scmJSON
	if err := json.Unmarshal(ta[filepath.Join("graph-0000", SCMFile)], &meta); err != nil {
		t.Fatal(err)
	}
	dot := string(ta[filepath.Join("graph-0000", DotFile)])
	if meta.Seed != 7 || meta.Nodes != 8 || meta.Prior != PriorNotebook || meta.PriorParams["edge_prob"] != 0.3 || len(meta.EdgeList) != meta.Edges {
		t.Errorf("scm.json: %+v", meta)
	}
	for _, e := range meta.EdgeList {
		if !strings.Contains(dot, `"`+e.From+`" -> "`+e.To+`" [label="`+e.Mechanism.String()) {
			t.Errorf("graph.dot lacks edge %s -> %s (%v)", e.From, e.To, e.Mechanism)
		}
	}
	if n := strings.Count(dot, "->"); n != meta.Edges {
		t.Errorf("graph.dot has %d edges, scm.json %d", n, meta.Edges)
	}
}

func TestWriteDirReplacesAtomically(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "graph-0000")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "stale.txt"), []byte("old"), 0o644)
	d, _ := NewDataset(DefaultConfig(), 1, 0)
	if err := WriteDir(dir, d); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "graph-0000" {
		t.Errorf("left behind %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Error("old directory content survived the replacement")
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("directory mode %v, %v", st.Mode(), err)
	}
}

func TestWriteErrorsWriteNothing(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	bad := DefaultConfig()
	bad.EdgeProb = 2
	tests := []struct {
		name  string
		dir   string
		cfg   Config
		count int
		want  string
	}{
		{"bad config", filepath.Join(root, "a"), bad, 2, "edge probability"},
		{"no graphs", filepath.Join(root, "b"), DefaultConfig(), 0, "at least 1"},
		{"dir under a file", filepath.Join(file, "sub"), DefaultConfig(), 2, "output directory"},
		{"dir is a file", file, DefaultConfig(), 2, "output directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(context.Background(), tc.dir, tc.cfg, tc.count, 1, WriteOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(tc.dir); err == nil && tc.dir != file {
				t.Errorf("%s was created", tc.dir)
			}
		})
	}
}

func TestWriteCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Write(ctx, dir, DefaultConfig(), 50, 1, WriteOptions{Workers: 2, Progress: func(Summary) {
		if n++; n == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) >= 50 || len(entries) < 3 {
		t.Errorf("%d entries after cancelling at 3 of 50", len(entries))
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "graph-") {
			t.Errorf("left %s behind", e.Name())
			continue
		}
		if files, _ := os.ReadDir(filepath.Join(dir, e.Name())); len(files) != 4 {
			t.Errorf("%s has %d files: a graph directory is complete or absent", e.Name(), len(files))
		}
	}
}
