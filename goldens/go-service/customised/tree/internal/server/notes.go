package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/acme-corp/ledger/internal/authz"
	"github.com/acme-corp/ledger/internal/store"
	"github.com/acme-corp/ledger/internal/validate"
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
	if err := s.notes.Create(r.Context(), n); err != nil {
		s.internalError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/notes/"+id)
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
	n, err := s.notes.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound)
		return store.Note{}, false
	}
	if err != nil {
		s.internalError(w, err)
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
	writeJSON(w, http.StatusOK, noteView{ID: n.ID, Title: n.Title, Body: string(body)})
}

func (s *Server) updateNote(w http.ResponseWriter, r *http.Request) {
	n, ok := s.loadNote(w, r, authz.NotesWrite)
	if !ok {
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
	if err := s.notes.Update(r.Context(), n); err != nil {
		s.internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, noteView{ID: n.ID, Title: title, Body: text})
}

func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request) {
	n, ok := s.loadNote(w, r, authz.NotesDelete)
	if !ok {
		return
	}
	if err := s.notes.Delete(r.Context(), n.ID); err != nil {
		s.internalError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// internalError logs err and answers a generic 500 (APP-10, APP-19).
func (s *Server) internalError(w http.ResponseWriter, err error) {
	s.log.Error("internal error", "err", err)
	writeError(w, http.StatusInternalServerError)
}
