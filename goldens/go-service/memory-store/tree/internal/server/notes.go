package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"example.com/scratchpad/internal/authz"
	"example.com/scratchpad/internal/store"
	"example.com/scratchpad/internal/validate"
)

// noteCreate is the whole writable surface of a new note: the owner and ID
// are set by the server, and any other field in the body is rejected
// (APP-06).
type noteCreate struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// noteUpdate lists the only fields a PATCH may change (APP-06).
type noteUpdate struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

type noteView struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

func validateNote(title, body string) error {
	if err := validate.Text("title", title, 1, 200, false); err != nil {
		return err
	}
	return validate.Text("body", body, 0, 10_000, true)
}

// authorize writes 401/403 and returns false unless p may do action on a
// resource of owner (APP-14).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, action authz.Action, owner string) bool {
	if err := authz.Authorize(authz.FromContext(r.Context()), action, owner); err != nil {
		writeError(w, authz.Status(err))
		return false
	}
	return true
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, authz.NotesWrite, "") {
		return
	}
	var in noteCreate
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := validateNote(in.Title, in.Body); err != nil {
		writeError(w, http.StatusBadRequest)
		return
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		s.internalError(w, err)
		return
	}
	id := hex.EncodeToString(raw[:])
	sealed, err := s.aead.Seal([]byte(in.Body), []byte(id))
	if err != nil {
		s.internalError(w, err)
		return
	}
	n := store.Note{ID: id, Owner: authz.FromContext(r.Context()).Subject, Title: in.Title, Body: sealed}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := s.notes.Create(ctx, n); err != nil {
		s.storeError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/notes/"+id)
	w.Header().Set("ETag", etag(1))
	writeJSON(w, http.StatusCreated, noteView{ID: id, Title: in.Title, Body: in.Body})
}

// loadNote validates the ID, checks the action, loads the note and checks
// ownership, writing the error response itself on failure.
func (s *Server) loadNote(w http.ResponseWriter, r *http.Request, action authz.Action) (store.Note, bool) {
	if !s.authorize(w, r, action, "") {
		return store.Note{}, false
	}
	id := r.PathValue("id")
	if err := validate.ID("id", id); err != nil {
		writeError(w, http.StatusBadRequest)
		return store.Note{}, false
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	n, err := s.notes.Get(ctx, id)
	if err != nil {
		s.storeError(w, err)
		return store.Note{}, false
	}
	if !s.authorize(w, r, action, n.Owner) {
		return store.Note{}, false
	}
	return n, true
}

func (s *Server) getNote(w http.ResponseWriter, r *http.Request) {
	n, ok := s.loadNote(w, r, authz.NotesRead)
	if !ok {
		return
	}
	body, err := s.aead.Open(n.Body, []byte(n.ID))
	if err != nil {
		s.internalError(w, err)
		return
	}
	w.Header().Set("ETag", etag(n.Version))
	writeJSON(w, http.StatusOK, noteView{ID: n.ID, Title: n.Title, Body: string(body)})
}

// updateNote requires If-Match with the note's current ETag: without it (or
// with "*") the answer is 428, with any other value 412, so two clients editing the
// same version cannot silently overwrite each other (lost update).
func (s *Server) updateNote(w http.ResponseWriter, r *http.Request) {
	n, ok := s.loadNote(w, r, authz.NotesWrite)
	if !ok {
		return
	}
	// "*" would match any version and bring lost updates back: like a
	// missing header, it is 428.
	if h := strings.TrimSpace(r.Header.Get("If-Match")); h == "" || h == "*" {
		writeError(w, http.StatusPreconditionRequired)
		return
	}
	if want, ok := ifMatch(r); !ok || want != n.Version {
		writeError(w, http.StatusPreconditionFailed)
		return
	}
	var in noteUpdate
	if !decodeJSON(w, r, &in) {
		return
	}
	body, err := s.aead.Open(n.Body, []byte(n.ID))
	if err != nil {
		s.internalError(w, err)
		return
	}
	title, text := n.Title, string(body)
	if in.Title != nil {
		title = *in.Title
	}
	if in.Body != nil {
		text = *in.Body
	}
	if err := validateNote(title, text); err != nil {
		writeError(w, http.StatusBadRequest)
		return
	}
	sealed, err := s.aead.Seal([]byte(text), []byte(n.ID))
	if err != nil {
		s.internalError(w, err)
		return
	}
	n.Title, n.Body = title, sealed
	ctx, cancel := s.storeContext(r)
	defer cancel()
	version, err := s.notes.Update(ctx, n) // fails with ErrConflict if n.Version moved on meanwhile
	if err != nil {
		s.storeError(w, err)
		return
	}
	w.Header().Set("ETag", etag(version))
	writeJSON(w, http.StatusOK, noteView{ID: n.ID, Title: title, Body: text})
}

// deleteNote honours If-Match when present (412 on another version); a
// DELETE without it deletes whatever the version.
func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request) {
	n, ok := s.loadNote(w, r, authz.NotesDelete)
	if !ok {
		return
	}
	want := store.AnyVersion
	if r.Header.Get("If-Match") != "" {
		if want, ok = ifMatch(r); !ok {
			writeError(w, http.StatusPreconditionFailed)
			return
		}
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := s.notes.Delete(ctx, n.ID, want); err != nil {
		s.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// etag is the strong entity tag of a note version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch parses an If-Match header holding one entity tag of ours, or "*"
// (store.AnyVersion). ok is false when it is missing or malformed.
func ifMatch(r *http.Request) (int64, bool) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "*" {
		return store.AnyVersion, true
	}
	inner, found := strings.CutPrefix(v, `"`)
	inner, closed := strings.CutSuffix(inner, `"`)
	if !found || !closed {
		return 0, false
	}
	n, err := strconv.ParseInt(inner, 10, 64)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// storeContext bounds one store call, so a frozen database costs a request
// at most the store timeout, never as long as the client waits.
func (s *Server) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.storeTimeout)
}

// storeError maps a store failure to its status: a note deleted meanwhile
// is 404, a version that moved on 412, a full quota 507, a slow or
// unreachable database 503 (with Retry-After); anything else 500.
func (s *Server) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound)
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusPreconditionFailed)
	case errors.Is(err, store.ErrQuota):
		writeError(w, http.StatusInsufficientStorage)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("store unavailable", "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable)
	default:
		s.internalError(w, err)
	}
}

// internalError logs err and answers a generic 500 (APP-10, APP-19).
func (s *Server) internalError(w http.ResponseWriter, err error) {
	s.log.Error("internal error", "err", err)
	writeError(w, http.StatusInternalServerError)
}
