package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
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
// JSON, unknown fields are rejected, types are strict (no coercion), the size
// is limited and trailing data is an error (APP-06). It writes the error
// response itself and returns false on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType)
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errBadRequest
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
