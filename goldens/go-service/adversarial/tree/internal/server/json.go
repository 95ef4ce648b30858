package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

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
// an error (APP-06). It writes the error response itself and returns false
// on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType)
		return false
	}
	data, err := io.ReadAll(r.Body)
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
	if depth > 32 {
		return errBadRequest
	}
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

// checkValue reads one value, checking the objects inside it.
func checkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return errBadRequest
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec, nil, depth+1)
	case json.Delim('['):
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
