package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of objects and arrays a body may have.
// Every level costs the checker a stack frame and the decoder a state, so
// an unbounded depth lets one body of brackets take hundreds of MiB.
const maxDepth = 32

// errorBody is the only shape of an error a client sees: a generic message
// per status, never an internal detail (APP-10, APP-19).
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON writes v as JSON with an explicit Content-Type (APP-05).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes the generic message of status.
func writeError(w http.ResponseWriter, status int) {
	writeJSON(w, status, errorBody{Error: http.StatusText(status)})
}

// errBadRequest is returned by decodeJSON for a body the client must fix.
var errBadRequest = errors.New("server: bad request body")

// decodeJSON decodes exactly one JSON object into dst: the media type must be
// JSON, keys must match dst's field names exactly (encoding/json alone would
// also take "TITLE" for "title") and appear once (it alone would keep the
// last of two, which another parser may not), unknown fields are rejected,
// types are strict (no coercion), the size is limited and trailing data is
// an error (APP-06). The text must be valid UTF-8 with no lone UTF-16
// surrogate escape: encoding/json would silently store either as U+FFFD
// (APP-01). It writes the error response itself and returns false
// on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType)
		return false
	}
	data, err := io.ReadAll(r.Body)
	if err == nil && (!utf8.Valid(data) || hasLoneSurrogate(data)) {
		err = errBadRequest
	}
	if err == nil {
		err = checkKeys(data, fieldNames(dst))
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(dst)
		if err == nil && dec.Decode(&struct{}{}) != io.EOF {
			err = errBadRequest
		}
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge)
		} else {
			writeError(w, http.StatusBadRequest)
		}
		return false
	}
	return true
}

// fieldNames returns the JSON names of the fields of the struct dst points to.
func fieldNames(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" && f.IsExported() {
			names[name] = true
		}
	}
	return names
}

// checkKeys rejects a body whose top-level object has a key not spelled
// exactly as in allowed, or any object (at any depth) with a repeated key.
func checkKeys(data []byte, allowed map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return errBadRequest
	}
	if tok != json.Delim('{') {
		return errBadRequest
	}
	return checkObject(dec, allowed, 0)
}

// checkObject reads the rest of an object whose '{' was read. allowed is
// nil below the top level.
func checkObject(dec *json.Decoder, allowed map[string]bool, depth int) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errBadRequest
		}
		key, ok := tok.(string)
		if !ok || seen[key] || (allowed != nil && !allowed[key]) {
			return errBadRequest
		}
		seen[key] = true
		if err := checkValue(dec, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return errBadRequest
	}
	return nil
}

// checkValue reads one value, checking the objects inside it. Objects and
// arrays alike count towards maxDepth.
func checkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return errBadRequest
	}
	switch tok {
	case json.Delim('{'):
		if depth+1 > maxDepth {
			return errBadRequest
		}
		return checkObject(dec, nil, depth+1)
	case json.Delim('['):
		if depth+1 > maxDepth {
			return errBadRequest
		}
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing ']'
			return errBadRequest
		}
	}
	return nil
}

// hasLoneSurrogate reports whether a \uXXXX escape of data encodes half of
// a UTF-16 surrogate pair without the other half. A backslash can only
// appear inside a string of valid JSON, so the scan needs no string state.
func hasLoneSurrogate(data []byte) bool {
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		if i+1 >= len(data) || data[i+1] != 'u' {
			i++ // an escaped character such as \" or \\
			continue
		}
		r, ok := escapeAt(data, i)
		if !ok {
			return false // malformed; the decoder rejects it
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low half first
		case r >= 0xD800 && r <= 0xDBFF:
			low, ok := escapeAt(data, i+1)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

// escapeAt returns the code unit of the \uXXXX escape at data[i:].
func escapeAt(data []byte, i int) (rune, bool) {
	if i+6 > len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(data[i+2:i+6]), 16, 16)
	return rune(v), err == nil
}
