package main

import (
	"os"
	"strings"
	"testing"

	"causeway/cli"
)

// TestREADMEDocumentsEveryFlag: every flag of every command appears in
// README.md as --name (help and version aside).
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	for _, cmd := range cli.NewApp("test").Commands {
		for _, f := range cmd.Flags {
			for _, name := range f.Names() {
				if len(name) == 1 || name == "help" {
					continue
				}
				flag := "--" + name
				i := strings.Index(text, flag)
				for i >= 0 && i+len(flag) < len(text) && isFlagChar(text[i+len(flag)]) {
					j := strings.Index(text[i+1:], flag)
					if j < 0 {
						i = -1
						break
					}
					i += 1 + j
				}
				if i < 0 {
					t.Errorf("causeway %s %s is not in README.md", cmd.Name, flag)
				}
			}
		}
	}
}

func isFlagChar(c byte) bool { return c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
