package server

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"example.com/scratchpad/internal/about"
	"example.com/scratchpad/internal/session"
)

//go:embed web/*.html
var webFS embed.FS

// HTML is rendered only through html/template, which escapes every value
// for its context (APP-05).
var indexTemplate = template.Must(template.ParseFS(webFS, "web/index.html"))

type indexData struct {
	Name        string
	Description string
	Subject     string
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	data := indexData{Name: about.Name, Description: about.Description}
	if s.sessions != nil {
		if c, err := r.Cookie(session.SessionCookie); err == nil {
			if p, err := s.sessions.Lookup(r.Context(), c.Value); err == nil {
				data.Subject = p.Subject
			}
		}
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, data); err != nil {
		s.internalError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
