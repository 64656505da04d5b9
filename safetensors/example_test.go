package safetensors_test

import (
	"bytes"
	"fmt"
	"log"

	"causeway/safetensors"
)

func Example() {
	tensors := map[string]safetensors.Tensor{
		"encoder.proj.weight": safetensors.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		"step":                safetensors.FromInt64(nil, []int64{1500}),
	}
	meta := map[string]string{"config": `{"variant":"A","d_model":128}`}

	var buf bytes.Buffer // or safetensors.WriteFile(path, ...), which is atomic
	if err := safetensors.Write(&buf, tensors, meta); err != nil {
		log.Fatal(err)
	}

	got, gotMeta, err := safetensors.Read(buf.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	w, err := got["encoder.proj.weight"].Float32()
	if err != nil {
		log.Fatal(err)
	}
	step, _ := got["step"].Int64()
	fmt.Println(got["encoder.proj.weight"].Shape, w)
	fmt.Println(step[0], gotMeta["config"])
	// Output:
	// [2 3] [1 2 3 4 5 6]
	// 1500 {"variant":"A","d_model":128}
}
