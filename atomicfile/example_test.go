package atomicfile_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"causeway/atomicfile"
)

func ExampleCreate() {
	dir, err := os.MkdirTemp("", "atomicfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "log.txt")

	f, err := atomicfile.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close() // discards the temporary file if Commit is not reached
	fmt.Fprintln(f, "step 1 loss 3.21")
	fmt.Fprintln(f, "step 2 loss 3.05")
	if err := f.Commit(); err != nil {
		log.Fatal(err)
	}

	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// step 1 loss 3.21
	// step 2 loss 3.05
}

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "atomicfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.json")

	if err := atomicfile.WriteFile(path, []byte(`{"d_model":128}`), 0o644); err != nil {
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Println(string(data))
	// Output: {"d_model":128}
}
