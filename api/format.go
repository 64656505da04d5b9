package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxInline is the most keys an object of scalars may have to stay on one
// line.
const maxInline = 4

// Format encodes v as indented JSON that keeps arrays of scalars, and
// objects of at most four scalar fields, on one line: an adjacency matrix
// prints one row per line, an edge one line. Object keys keep their order;
// the result ends with a newline.
func Format(v any) ([]byte, error) {
	compact, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(compact))
	dec.UseNumber()
	var out strings.Builder
	if err := formatValue(dec, &out, ""); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return []byte(out.String()), nil
}

func formatValue(dec *json.Decoder, w *strings.Builder, indent string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return formatToken(dec, tok, w, indent)
}

func formatToken(dec *json.Decoder, tok json.Token, w *strings.Builder, indent string) error {
	d, ok := tok.(json.Delim)
	if !ok {
		return writeScalar(w, tok)
	}
	inner := indent + "  "
	switch d {
	case '{':
		var items []string
		flat := true
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			var b strings.Builder
			if err := writeScalar(&b, key); err != nil {
				return err
			}
			b.WriteString(": ")
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			if _, isDelim := tok.(json.Delim); isDelim {
				flat = false
			}
			if err := formatToken(dec, tok, &b, inner); err != nil {
				return err
			}
			items = append(items, b.String())
		}
		if _, err := dec.Token(); err != nil { // '}'
			return err
		}
		if len(items) == 0 || (flat && len(items) <= maxInline) {
			w.WriteString("{" + strings.Join(items, ", ") + "}")
			break
		}
		w.WriteString("{\n" + inner + strings.Join(items, ",\n"+inner) + "\n" + indent + "}")
	case '[':
		var items []string
		flat := true
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			var b strings.Builder
			if _, isDelim := tok.(json.Delim); isDelim {
				flat = false
			}
			if err := formatToken(dec, tok, &b, inner); err != nil {
				return err
			}
			items = append(items, b.String())
		}
		if _, err := dec.Token(); err != nil { // ']'
			return err
		}
		if flat || len(items) == 0 {
			w.WriteString("[" + strings.Join(items, ", ") + "]")
			break
		}
		w.WriteString("[\n" + inner + strings.Join(items, ",\n"+inner) + "\n" + indent + "]")
	default:
		return fmt.Errorf("format: unexpected %v", d)
	}
	return nil
}

func writeScalar(w *strings.Builder, tok json.Token) error {
	switch t := tok.(type) {
	case json.Number:
		w.WriteString(string(t))
		return nil
	case nil:
		w.WriteString("null")
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tok); err != nil {
		return err
	}
	w.WriteString(strings.TrimSuffix(b.String(), "\n"))
	return nil
}
