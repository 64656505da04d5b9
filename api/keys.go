package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// knownKeys are the JSON keys of the request types, for CheckKeys.
var knownKeys = jsonKeys(Request{}, BatchRequest{}, DataRequest{}, DataSet{}, Do{})

// jsonKeys returns the json tag names of the fields of the given structs.
func jsonKeys(types ...any) map[string]bool {
	keys := map[string]bool{}
	for _, v := range types {
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				keys[name] = true
			}
		}
	}
	return keys
}

// AddKnownKeys returns known with the json keys of more struct types, for
// CheckKeys on other request schemas.
func AddKnownKeys(known map[string]bool, types ...any) map[string]bool {
	out := jsonKeys(types...)
	for k := range known {
		out[k] = true
	}
	return out
}

// RequestKeys are the keys CheckKeys knows for /predict requests.
func RequestKeys() map[string]bool { return knownKeys }

// CheckKeys walks the JSON document data and refuses what encoding/json
// silently accepts: a key given twice in one object (the last would win),
// and a key that matches a known key only when case is ignored
// ("Base_Samples" for "base_samples"). Malformed JSON is left to the
// decoder.
func CheckKeys(data []byte, known map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					stack[len(stack)-1].key = stack[len(stack)-1].object
				}
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return fmt.Errorf("malformed request: key %q appears twice in one object", k)
			}
			top.keys[k] = true
			if !known[k] {
				for want := range known {
					if strings.EqualFold(k, want) {
						return fmt.Errorf("malformed request: key %q: keys are case-sensitive, write %q", k, want)
					}
				}
			}
			top.key = false
			continue
		}
		switch d, _ := tok.(json.Delim); d {
		case '{':
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
			continue
		case '[':
			stack = append(stack, &frame{})
			continue
		case '}', ']':
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			stack[len(stack)-1].key = stack[len(stack)-1].object
		}
	}
}
