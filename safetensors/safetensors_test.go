package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture is a safetensors file built by hand from the specification, the
// way the Python library lays it out: 8-byte little-endian header length,
// compact JSON header with __metadata__ first, padded with spaces to a
// multiple of 8, then the raw little-endian data.
func fixture() []byte {
	header := `{"__metadata__":{"format":"pt"},` +
		`"a_step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
		`"b_weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},` +
		`"c_mask":{"dtype":"U8","shape":[3],"data_offsets":[24,27]}}` +
		"     " // 211 bytes of JSON + 5 spaces = 216
	var b []byte
	b = append(b, 0xd8, 0, 0, 0, 0, 0, 0, 0) // 216
	b = append(b, header...)
	b = append(b, 0xdc, 0x05, 0, 0, 0, 0, 0, 0) // int64 1500
	b = append(b,
		0x00, 0x00, 0x80, 0x3f, // 1.0
		0x00, 0x00, 0x00, 0xc0, // -2.0
		0x00, 0x00, 0x00, 0x3f, // 0.5
		0x00, 0x00, 0x50, 0x40, // 3.25
	)
	b = append(b, 1, 0, 1) // uint8 mask
	return b
}

func fixtureTensors() map[string]Tensor {
	return map[string]Tensor{
		"a_step":   FromInt64(nil, []int64{1500}),
		"b_weight": FromFloat32([]int{2, 2}, []float32{1, -2, 0.5, 3.25}),
		"c_mask":   FromUint8([]int{3}, []uint8{1, 0, 1}),
	}
}

func TestReadFixture(t *testing.T) {
	tensors, meta, err := Read(fixture())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !reflect.DeepEqual(meta, map[string]string{"format": "pt"}) {
		t.Errorf("metadata = %v", meta)
	}
	if len(tensors) != 3 {
		t.Fatalf("got %d tensors, want 3", len(tensors))
	}
	step, err := tensors["a_step"].Int64()
	if err != nil || !reflect.DeepEqual(step, []int64{1500}) || len(tensors["a_step"].Shape) != 0 {
		t.Errorf("a_step = %v shape %v (%v)", step, tensors["a_step"].Shape, err)
	}
	w, err := tensors["b_weight"].Float32()
	if err != nil || !reflect.DeepEqual(w, []float32{1, -2, 0.5, 3.25}) || !reflect.DeepEqual(tensors["b_weight"].Shape, []int{2, 2}) {
		t.Errorf("b_weight = %v shape %v (%v)", w, tensors["b_weight"].Shape, err)
	}
	m, err := tensors["c_mask"].Uint8()
	if err != nil || !reflect.DeepEqual(m, []uint8{1, 0, 1}) {
		t.Errorf("c_mask = %v (%v)", m, err)
	}
}

// TestWriteFixture checks that Write produces the hand-built bytes exactly.
func TestWriteFixture(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fixtureTensors(), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if want := fixture(); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write output differs from the fixture\n got %q\nwant %q", buf.Bytes(), want)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		tensors map[string]Tensor
		meta    map[string]string
	}{
		{name: "empty", tensors: map[string]Tensor{}},
		{name: "metadata only", tensors: nil, meta: map[string]string{"config": `{"d_model":128,"note":"<a&b>"}`}},
		{name: "all typed", tensors: map[string]Tensor{
			"f32":  FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))}),
			"f64":  FromFloat64([]int{3}, []float64{math.Pi, math.Copysign(0, -1), math.MaxFloat64}),
			"i64":  FromInt64([]int{2}, []int64{math.MinInt64, math.MaxInt64}),
			"i32":  FromInt32([]int{1, 1}, []int32{-7}),
			"u8":   FromUint8([]int{5}, []uint8{0, 1, 2, 254, 255}),
			"zero": FromFloat32([]int{0, 4}, nil),
		}, meta: map[string]string{"step": "42", "ünïcode \"quoted\"": "tab\there"}},
		{name: "raw dtypes", tensors: map[string]Tensor{
			"bf16": {DType: BF16, Shape: []int{2}, Data: []byte{1, 2, 3, 4}},
			"bool": {DType: Bool, Shape: []int{3}, Data: []byte{1, 0, 1}},
			"u64":  {DType: U64, Shape: []int{}, Data: make([]byte, 8)},
		}},
		{name: "names needing escapes", tensors: map[string]Tensor{
			"layer.0/w\"q\"": FromFloat32([]int{1}, []float32{1}),
			"\x01ctl":        FromFloat32([]int{1}, []float32{2}),
			"":               FromFloat32([]int{1}, []float32{3}),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.tensors, tc.meta); err != nil {
				t.Fatalf("Write: %v", err)
			}
			b := buf.Bytes()
			hlen := binary.LittleEndian.Uint64(b)
			if (8+hlen)%8 != 0 {
				t.Errorf("data starts at %d, not a multiple of 8", 8+hlen)
			}
			got, meta, err := Read(b)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(got) != len(tc.tensors) {
				t.Fatalf("got %d tensors, want %d", len(got), len(tc.tensors))
			}
			for name, want := range tc.tensors {
				g := got[name]
				if g.DType != want.DType || !bytes.Equal(g.Data, want.Data) || len(g.Shape) != len(want.Shape) ||
					(len(want.Shape) > 0 && !reflect.DeepEqual(g.Shape, want.Shape)) {
					t.Errorf("tensor %q = %+v, want %+v", name, g, want)
				}
			}
			wantMeta := tc.meta
			if wantMeta == nil {
				wantMeta = map[string]string{}
			}
			if !reflect.DeepEqual(meta, wantMeta) {
				t.Errorf("metadata = %q, want %q", meta, wantMeta)
			}
			// Writing what was read gives the same bytes.
			var again bytes.Buffer
			if err := Write(&again, got, meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), b) {
				t.Error("rewriting the read tensors changed the bytes")
			}
		})
	}
}

func TestWriteDeterministic(t *testing.T) {
	tensors := map[string]Tensor{}
	meta := map[string]string{}
	for i := range 50 {
		name := string(rune('a'+i%26)) + strings.Repeat("x", i)
		tensors[name] = FromFloat32([]int{i % 3}, make([]float32, i%3))
		meta[name] = name
	}
	var first []byte
	for i := range 5 {
		var buf bytes.Buffer
		if err := Write(&buf, tensors, meta); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Fatal("Write output depends on map iteration order")
		}
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors map[string]Tensor
		want    string
	}{
		{"unknown dtype", map[string]Tensor{"x": {DType: "F128", Shape: []int{1}, Data: make([]byte, 16)}}, `unknown dtype "F128"`},
		{"short data", map[string]Tensor{"x": FromFloat32([]int{2, 3}, make([]float32, 5))}, "needs 6×4 bytes, have 20"},
		{"negative dim", map[string]Tensor{"x": {DType: U8, Shape: []int{-1}, Data: nil}}, "negative dimension"},
		{"reserved name", map[string]Tensor{"__metadata__": FromUint8([]int{1}, []uint8{1})}, "invalid tensor name"},
		{"overflowing shape", map[string]Tensor{"x": {DType: F64, Shape: []int{1 << 40, 1 << 40}}}, "too many elements"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tc.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// file assembles a safetensors file from a raw header and data buffer.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestReadErrors(t *testing.T) {
	valid := fixture()
	hugeLen := binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1)
	pastEnd := binary.LittleEndian.AppendUint64(nil, 1000)
	pastEnd = append(pastEnd, "{}"...)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header length"},
		{"short", []byte{1, 2, 3}, "shorter than the 8-byte header length"},
		{"huge header length", append(hugeLen, "{}"...), "exceeds the limit"},
		{"all ones length", bytes.Repeat([]byte{0xff}, 16), "exceeds the limit"},
		{"header past end", pastEnd, "runs past the end of the file"},
		{"truncated data", valid[:len(valid)-1], `"c_mask": data_offsets [24, 27] run past the end`},
		{"truncated header", valid[:100], "runs past the end of the file"},
		{"trailing byte", append(append([]byte{}, valid...), 0), "belong to no tensor"},
		{"not an object", file("[1,2,3] ", nil), "does not start with a JSON object"},
		{"empty header", file("", nil), "does not start with a JSON object"},
		{"invalid utf8", file("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"bad json", file(`{"a":{"dtype":"F32",}}`, nil), "header JSON"},
		{"unterminated json", file(`{"a":`, nil), "header JSON"},
		{"trailing garbage", file(`{} x`, nil), "header JSON"},
		{"second object", file(`{}{}`, nil), "after the object"},
		{"padding with NUL", file("{}\x00\x00", nil), "header JSON"},
		{"duplicate tensor", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), `tensor "a" appears twice`},
		{"duplicate metadata", file(`{"__metadata__":{},"__metadata__":{}}`, nil), "__metadata__ appears twice"},
		{"metadata not strings", file(`{"__metadata__":{"step":3}}`, nil), `__metadata__["step"] is 3, not a string`},
		{"metadata not object", file(`{"__metadata__":[1]}`, nil), "__metadata__ is not an object"},
		{"missing dtype", file(`{"a":{"shape":[1],"data_offsets":[0,1]}}`, []byte{1}), "missing dtype"},
		{"missing shape", file(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`, []byte{1}), "missing shape"},
		{"missing offsets", file(`{"a":{"dtype":"U8","shape":[1]}}`, []byte{1}), "missing data_offsets"},
		{"entry not object", file(`{"a":5}`, nil), `tensor "a"`},
		{"null entry", file(`{"a":null}`, nil), "missing dtype"},
		{"three offsets", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, []byte{1}), "has 3 values"},
		{"negative offset", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, []byte{1}), `tensor "a"`},
		{"begin after end", file(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}`, []byte{1}), "begin after end"},
		{"unknown dtype", file(`{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), `unknown dtype "Q4"`},
		{"dtype not string", file(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,1]}}`, []byte{1}), `tensor "a"`},
		{"negative dim", file(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, []byte{1}), "negative dimension"},
		{"fractional dim", file(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}`, []byte{1}), `tensor "a"`},
		{"overflowing shape", file(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), "too many elements"},
		{"size mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs 3×4 bytes"},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 3)), "overlap"},
		{"same range twice", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, make([]byte, 2)), "overlap"},
		{"gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, make([]byte, 3)), "bytes [1, 2) of the data buffer belong to no tensor"},
		{"leading gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)), "bytes [0, 1)"},
		{"data without tensors", file(`{}`, []byte{1}), "at the end of the data buffer belong to no tensor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tensors, meta, err := Read(tc.data)
			if err == nil {
				t.Fatalf("Read succeeded: %d tensors, metadata %v", len(tensors), meta)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want one containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: read: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestReadAccepts(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		count int
	}{
		{"empty object", file("{}", nil), 0},
		{"whitespace padding", file("{}      ", nil), 0},
		{"null metadata", file(`{"__metadata__":null}`, nil), 0},
		{"zero-size tensors share offsets", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"c":{"dtype":"F64","shape":[2,0],"data_offsets":[1,1]}}`, []byte{7}), 3},
		{"unknown entry fields ignored", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":true}}`, []byte{7}), 1},
		{"offsets out of name order", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{7, 8}), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tensors, meta, err := Read(tc.data)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(tensors) != tc.count || meta == nil {
				t.Errorf("got %d tensors (meta %v), want %d", len(tensors), meta, tc.count)
			}
		})
	}
}

func TestReadCopiesData(t *testing.T) {
	b := fixture()
	tensors, _, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xee
	}
	w, _ := tensors["b_weight"].Float32()
	if w[0] != 1 {
		t.Errorf("tensor data aliases the input buffer: %v", w)
	}
}

func TestAccessorErrors(t *testing.T) {
	f32 := FromFloat32([]int{2}, []float32{1, 2})
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"float64 of F32", func() error { _, err := f32.Float64(); return err }, "is F32, not F64"},
		{"int64 of F32", func() error { _, err := f32.Int64(); return err }, "is F32, not I64"},
		{"int32 of F32", func() error { _, err := f32.Int32(); return err }, "is F32, not I32"},
		{"uint8 of F32", func() error { _, err := f32.Uint8(); return err }, "is F32, not U8"},
		{"float32 of I64", func() error { _, err := FromInt64([]int{1}, []int64{1}).Float32(); return err }, "is I64, not F32"},
		{"shape mismatch", func() error { _, err := FromFloat32([]int{3}, []float32{1, 2}).Float32(); return err }, "needs 3×4 bytes, have 8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if got, err := f32.Float32(); err != nil || !reflect.DeepEqual(got, []float32{1, 2}) {
		t.Errorf("Float32() = %v, %v", got, err)
	}
	if got, err := FromFloat64([]int{1}, []float64{2.5}).Float64(); err != nil || got[0] != 2.5 {
		t.Errorf("Float64() = %v, %v", got, err)
	}
	if got, err := FromInt32([]int{1}, []int32{-3}).Int32(); err != nil || got[0] != -3 {
		t.Errorf("Int32() = %v, %v", got, err)
	}
}

func TestDTypeSize(t *testing.T) {
	for _, tc := range []struct {
		dtype string
		size  int
		ok    bool
	}{{F32, 4, true}, {F64, 8, true}, {I64, 8, true}, {U8, 1, true}, {BF16, 2, true}, {Bool, 1, true}, {"f32", 0, false}} {
		size, ok := DTypeSize(tc.dtype)
		if size != tc.size || ok != tc.ok {
			t.Errorf("DTypeSize(%q) = %d, %v; want %d, %v", tc.dtype, size, ok, tc.size, tc.ok)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := os.WriteFile(path, []byte("previous checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, fixtureTensors(), map[string]string{"format": "pt"}); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, fixture()) {
		t.Fatalf("file content differs from the fixture (%v)", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(ents))
	}
	tensors, meta, err := ReadFile(path)
	if err != nil || len(tensors) != 3 || meta["format"] != "pt" {
		t.Errorf("ReadFile = %d tensors, %v, %v", len(tensors), meta, err)
	}

	// A failed write leaves the old file in place.
	bad := map[string]Tensor{"x": {DType: "nope"}}
	if err := WriteFile(path, bad, nil); err == nil {
		t.Error("WriteFile of an invalid tensor succeeded")
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, fixture()) {
		t.Error("failed WriteFile changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1", len(ents))
	}

	if err := WriteFile(filepath.Join(dir, "missing", "x.safetensors"), fixtureTensors(), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile into a missing directory: %v", err)
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	os.WriteFile(corrupt, fixture()[:50], 0o644)
	if _, _, err := ReadFile(corrupt); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("ReadFile of a corrupt file: %v (want the path in the message)", err)
	}
}

func FuzzRead(f *testing.F) {
	valid := fixture()
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Add(valid[:20])
	f.Add(valid[:8])
	f.Add([]byte{})
	f.Add([]byte("garbage that is not a safetensors file at all"))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 3)))
	f.Add(file(`{"__metadata__":{"k":"v"},"z":{"dtype":"F64","shape":[0],"data_offsets":[0,0]}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		tensors, meta, err := Read(data)
		if err != nil {
			return
		}
		// Whatever Read accepts must survive a write and a second read.
		var buf bytes.Buffer
		if err := Write(&buf, tensors, meta); err != nil {
			t.Fatalf("Write of accepted input: %v", err)
		}
		again, meta2, err := Read(buf.Bytes())
		if err != nil {
			t.Fatalf("Read of rewritten input: %v", err)
		}
		if len(again) != len(tensors) || len(meta2) != len(meta) {
			t.Fatalf("round trip changed the content")
		}
		for name, tt := range tensors {
			a := again[name]
			if a.DType != tt.DType || !bytes.Equal(a.Data, tt.Data) || len(a.Shape) != len(tt.Shape) {
				t.Fatalf("round trip changed tensor %q", name)
			}
		}
	})
}
