// Package about describes the service.
package about

// Name is the service name.
const Name = "hostile-svc"

// Description is the service's one-line description.
// Quotes " and ' and `backticks` \ backslash; a second line
// {{ .name }} ${HOME} $(id) %{ if true }x%{ endif } */ <!-- -->
// --- &anchor *alias ... # not a comment: [a, b] {k: v}
// ---
// # Heading? <script>alert(1)</script> Ünïcödé ✓ 日本語
const Description = "Quotes \" and ' and `backticks` \\ backslash; a second line\n{{ .name }} ${HOME} $(id) %{ if true }x%{ endif } */ <!-- -->\n--- &anchor *alias ... # not a comment: [a, b] {k: v}\n---\n# Heading? <script>alert(1)</script> Ünïcödé ✓ 日本語"
