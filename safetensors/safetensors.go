// Package safetensors reads and writes the safetensors tensor file format,
// which causeway uses for checkpoints (weights, optimiser moments and step,
// with the configuration as JSON in the header metadata).
//
// A safetensors file is:
//
//   - 8 bytes: N, the length of the header, as a little-endian uint64;
//   - N bytes: a UTF-8 JSON object mapping each tensor name to
//     {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, plus an
//     optional "__metadata__" object of string keys and string values;
//   - the data buffer: every tensor's elements, little-endian, row-major,
//     at [begin, end) relative to the start of the buffer.
//
// Write pads the header with spaces so the data starts at a multiple of 8
// bytes and lays the tensors out in sorted name order, so equal inputs give
// identical bytes. Read checks everything a corrupt or hostile file could get
// wrong (header length, JSON, dtypes, shapes, offsets that overlap, leave gaps
// or run past the end) and reports it as an error, never a panic. Files are
// interchangeable with the Python and Rust safetensors libraries.
package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"causeway/atomicfile"
)

// Data types. Write and Read accept every dtype of the safetensors
// specification; typed accessors exist for F32, F64, I64, I32 and U8.
const (
	F64     = "F64"
	F32     = "F32"
	F16     = "F16"
	BF16    = "BF16"
	F8E4M3  = "F8_E4M3"
	F8E5M2  = "F8_E5M2"
	I64     = "I64"
	I32     = "I32"
	I16     = "I16"
	I8      = "I8"
	U64     = "U64"
	U32     = "U32"
	U16     = "U16"
	U8      = "U8"
	Bool    = "BOOL"
	metaKey = "__metadata__"
)

// MaxHeaderSize is the largest header Read accepts, in bytes (the limit of
// the reference implementation).
const MaxHeaderSize = 100_000_000

var dtypeSizes = map[string]int{
	F64: 8, F32: 4, F16: 2, BF16: 2, F8E4M3: 1, F8E5M2: 1,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1, Bool: 1,
}

// DTypeSize returns the size in bytes of one element of dtype, and false if
// dtype is not a safetensors dtype.
func DTypeSize(dtype string) (int, bool) {
	n, ok := dtypeSizes[dtype]
	return n, ok
}

// Tensor is one named array of a safetensors file: its element type, its
// shape (empty for a scalar) and its elements as little-endian bytes in
// row-major order.
type Tensor struct {
	DType string
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar), or an error
// if a dimension is negative or the product overflows.
func (t Tensor) NumElements() (int, error) {
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, fmt.Errorf("shape %v has too many elements", t.Shape)
		}
		n = int(lo)
	}
	return n, nil
}

// Validate reports whether the dtype is known and the data length matches
// the dtype size times the number of elements.
func (t Tensor) Validate() error {
	size, ok := dtypeSizes[t.DType]
	if !ok {
		return fmt.Errorf("unknown dtype %q", t.DType)
	}
	n, err := t.NumElements()
	if err != nil {
		return err
	}
	if hi, lo := bits.Mul64(uint64(n), uint64(size)); hi != 0 || lo != uint64(len(t.Data)) {
		return fmt.Errorf("shape %v of %s needs %d×%d bytes, have %d", t.Shape, t.DType, n, size, len(t.Data))
	}
	return nil
}

// FromFloat32 returns an F32 tensor with the given shape and elements.
// It does not check that the shape matches len(data); Write, Validate and
// the accessors report a mismatch.
func FromFloat32(shape []int, data []float32) Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Tensor{DType: F32, Shape: slices.Clone(shape), Data: b}
}

// FromFloat64 returns an F64 tensor with the given shape and elements.
// Like FromFloat32 it does not check the shape.
func FromFloat64(shape []int, data []float64) Tensor {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return Tensor{DType: F64, Shape: slices.Clone(shape), Data: b}
}

// FromInt64 returns an I64 tensor with the given shape and elements.
// Like FromFloat32 it does not check the shape.
func FromInt64(shape []int, data []int64) Tensor {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return Tensor{DType: I64, Shape: slices.Clone(shape), Data: b}
}

// FromInt32 returns an I32 tensor with the given shape and elements.
// Like FromFloat32 it does not check the shape.
func FromInt32(shape []int, data []int32) Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return Tensor{DType: I32, Shape: slices.Clone(shape), Data: b}
}

// FromUint8 returns a U8 tensor with the given shape and a copy of data.
// Like FromFloat32 it does not check the shape.
func FromUint8(shape []int, data []uint8) Tensor {
	return Tensor{DType: U8, Shape: slices.Clone(shape), Data: slices.Clone(data)}
}

// check validates t and that its dtype is want.
func (t Tensor) check(want string) error {
	if t.DType != want {
		return fmt.Errorf("safetensors: tensor is %s, not %s", t.DType, want)
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// Float32 returns the elements of an F32 tensor. It fails if the dtype is
// not F32 or the data does not match the shape.
func (t Tensor) Float32() ([]float32, error) {
	if err := t.check(F32); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Float64 returns the elements of an F64 tensor. It fails if the dtype is
// not F64 or the data does not match the shape.
func (t Tensor) Float64() ([]float64, error) {
	if err := t.check(F64); err != nil {
		return nil, err
	}
	out := make([]float64, len(t.Data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int64 returns the elements of an I64 tensor. It fails if the dtype is
// not I64 or the data does not match the shape.
func (t Tensor) Int64() ([]int64, error) {
	if err := t.check(I64); err != nil {
		return nil, err
	}
	out := make([]int64, len(t.Data)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int32 returns the elements of an I32 tensor. It fails if the dtype is
// not I32 or the data does not match the shape.
func (t Tensor) Int32() ([]int32, error) {
	if err := t.check(I32); err != nil {
		return nil, err
	}
	out := make([]int32, len(t.Data)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Uint8 returns a copy of the elements of a U8 tensor. It fails if the
// dtype is not U8 or the data does not match the shape.
func (t Tensor) Uint8() ([]uint8, error) {
	if err := t.check(U8); err != nil {
		return nil, err
	}
	return slices.Clone(t.Data), nil
}

// Write writes tensors and metadata to w in the safetensors format. Tensors
// are laid out in sorted name order and the header is padded with spaces to
// a multiple of 8 bytes, so the output depends only on the arguments.
// Metadata may be nil; an empty metadata map writes no "__metadata__" entry.
// Every tensor must pass Validate, and no tensor may be named
// "__metadata__".
func Write(w io.Writer, tensors map[string]Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)

	var hdr bytes.Buffer
	hdr.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		hdr.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				hdr.WriteByte(',')
			}
			writeJSONString(&hdr, k)
			hdr.WriteByte(':')
			writeJSONString(&hdr, metadata[k])
		}
		hdr.WriteByte('}')
	}
	var offset uint64
	for i, name := range names {
		t := tensors[name]
		if name == metaKey {
			return fmt.Errorf("safetensors: write: invalid tensor name %q", name)
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("safetensors: write tensor %q: %w", name, err)
		}
		if i > 0 || len(metadata) > 0 {
			hdr.WriteByte(',')
		}
		writeJSONString(&hdr, name)
		hdr.WriteString(`:{"dtype":`)
		writeJSONString(&hdr, t.DType)
		hdr.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				hdr.WriteByte(',')
			}
			hdr.WriteString(strconv.Itoa(d))
		}
		end := offset + uint64(len(t.Data))
		fmt.Fprintf(&hdr, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}

	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(hdr.Len()))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	for _, name := range names {
		if _, err := w.Write(tensors[name].Data); err != nil {
			return fmt.Errorf("safetensors: write tensor %q: %w", name, err)
		}
	}
	return nil
}

// writeJSONString writes s as a JSON string. Unlike encoding/json it does not
// escape <, > and &, matching the reference implementation's output.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // drop Encode's newline
}

// WriteFile writes tensors and metadata to the file path in the safetensors
// format, atomically: the file is replaced only once it is completely
// written and synced (see package causeway/atomicfile).
func WriteFile(path string, tensors map[string]Tensor, metadata map[string]string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := Write(bw, tensors, metadata); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// ReadFile reads a safetensors file; see Read.
func ReadFile(path string) (map[string]Tensor, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	tensors, meta, err := Read(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return tensors, meta, nil
}

// headerEntry is one tensor's entry in the JSON header. Pointers tell a
// missing field from a zero one.
type headerEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]int    `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

// Read parses a complete safetensors file held in data. It returns the
// tensors by name (each with its own copy of the data) and the header
// metadata (an empty, non-nil map if the file has none).
//
// Read rejects, with an error saying what is wrong: files shorter than 8
// bytes, a header length above MaxHeaderSize or past the end of data, a
// header that is not a JSON object of valid UTF-8 or repeats a name,
// metadata values that are not strings, entries missing dtype, shape or
// data_offsets, unknown dtypes, negative dimensions, byte ranges whose length
// is not the dtype size times the number of elements, and byte ranges that
// run past the end, overlap, leave gaps or do not cover the data buffer
// exactly.
func Read(data []byte) (map[string]Tensor, map[string]string, error) {
	tensors, meta, err := read(data)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: read: %w", err)
	}
	return tensors, meta, nil
}

func read(data []byte) (map[string]Tensor, map[string]string, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("header length %d runs past the end of the file (%d bytes after the length)", n, len(data)-8)
	}
	header := data[8 : 8+n]
	buf := data[8+n:]
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, errors.New("header does not start with a JSON object")
	}

	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, nil, err
	}

	type span struct {
		name       string
		begin, end uint64
	}
	spans := make([]span, 0, len(entries))
	tensors := make(map[string]Tensor, len(entries))
	for name, e := range entries {
		switch {
		case e.DType == nil:
			return nil, nil, fmt.Errorf("tensor %q: missing dtype", name)
		case e.Shape == nil:
			return nil, nil, fmt.Errorf("tensor %q: missing shape", name)
		case e.DataOffsets == nil:
			return nil, nil, fmt.Errorf("tensor %q: missing data_offsets", name)
		case len(*e.DataOffsets) != 2:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets has %d values, want [begin, end]", name, len(*e.DataOffsets))
		}
		begin, end := (*e.DataOffsets)[0], (*e.DataOffsets)[1]
		if begin > end {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] has begin after end", name, begin, end)
		}
		if end > uint64(len(buf)) {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the end of the %d-byte data buffer", name, begin, end, len(buf))
		}
		t := Tensor{DType: *e.DType, Shape: *e.Shape}
		if t.Shape == nil {
			t.Shape = []int{}
		}
		size, ok := dtypeSizes[t.DType]
		if !ok {
			return nil, nil, fmt.Errorf("tensor %q: unknown dtype %q", name, t.DType)
		}
		count, err := t.NumElements()
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if hi, lo := bits.Mul64(uint64(count), uint64(size)); hi != 0 || lo != end-begin {
			return nil, nil, fmt.Errorf("tensor %q: shape %v of %s needs %d×%d bytes, data_offsets [%d, %d] hold %d", name, t.Shape, t.DType, count, size, begin, end, end-begin)
		}
		t.Data = slices.Clone(buf[begin:end])
		if t.Data == nil {
			t.Data = []byte{}
		}
		tensors[name] = t
		spans = append(spans, span{name, begin, end})
	}

	slices.SortFunc(spans, func(a, b span) int {
		if a.begin != b.begin {
			return cmpU64(a.begin, b.begin)
		}
		return cmpU64(a.end, b.end)
	})
	var pos uint64
	prev := ""
	for _, s := range spans {
		if s.begin < pos {
			return nil, nil, fmt.Errorf("tensors %q and %q overlap in the data buffer", prev, s.name)
		}
		if s.begin > pos {
			return nil, nil, fmt.Errorf("bytes [%d, %d) of the data buffer belong to no tensor", pos, s.begin)
		}
		pos, prev = s.end, s.name
	}
	if pos != uint64(len(buf)) {
		return nil, nil, fmt.Errorf("bytes [%d, %d) at the end of the data buffer belong to no tensor", pos, len(buf))
	}
	return tensors, meta, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseHeader decodes the JSON header object, rejecting repeated names and
// trailing content other than whitespace.
func parseHeader(header []byte) (map[string]headerEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil { // '{', checked by the caller
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	entries := make(map[string]headerEntry)
	meta := make(map[string]string)
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("header JSON: unexpected %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header JSON: value of %q: %w", name, err)
		}
		if name == metaKey {
			if seenMeta {
				return nil, nil, errors.New("header JSON: __metadata__ appears twice")
			}
			seenMeta = true
			if bytes.Equal(raw, []byte("null")) {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, nil, fmt.Errorf("header JSON: __metadata__ is not an object of strings: %w", err)
			}
			for k, v := range m {
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, nil, fmt.Errorf("header JSON: __metadata__[%q] is %s, not a string", k, abbrev(v))
				}
				meta[k] = s
			}
			continue
		}
		if _, dup := entries[name]; dup {
			return nil, nil, fmt.Errorf("header JSON: tensor %q appears twice", name)
		}
		var e headerEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, nil, fmt.Errorf("header JSON: tensor %q: %w", name, err)
		}
		entries[name] = e
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: after the object: %w", err)
		}
		return nil, nil, fmt.Errorf("header JSON: unexpected %v after the object", tok)
	}
	return entries, meta, nil
}

// abbrev shortens a JSON value for an error message.
func abbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
