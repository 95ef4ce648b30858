package cli

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/failure"
)

// fieldFlags are the flags that give each field the generator's errors
// name, in order of preference: a command that defines several (none does
// today) gets the first.
var fieldFlags = map[failure.Field][]string{
	failure.FieldSet:            {"set"},
	failure.FieldAnswersFile:    {"answers"},
	failure.FieldConflict:       {"conflict"},
	failure.FieldOffline:        {"offline"},
	failure.FieldKeyring:        {"keyring"},
	failure.FieldRef:            {"catalog-ref", "ref"},
	failure.FieldCatalog:        {"catalog"},
	failure.FieldComponents:     {"components"},
	failure.FieldGitAuthor:      {"git-author"},
	failure.FieldSignKey:        {"sign-key"},
	failure.FieldAcceptSigner:   {"accept-signer"},
	failure.FieldAcceptMovedTag: {"accept-moved-tag"},
	failure.FieldRerecord:       {"update"},
	failure.FieldExclude:        {"exclude"},
}

// flagName is how the command that ran spells field: its flag, or, when it
// has none of the field's flags, the first one.
func flagName(cmd *cobra.Command) func(failure.Field) string {
	return func(f failure.Field) string {
		names, ok := fieldFlags[f]
		if !ok {
			return string(f)
		}
		if cmd != nil {
			for _, n := range names {
				if cmd.Flags().Lookup(n) != nil {
					return "--" + n
				}
			}
		}
		return "--" + names[0]
	}
}

// inFlags is err's message with every field a generator error names in it
// spelt as the flag of the command that ran: the generator speaks data
// (failure.Field), the CLI speaks flags.
func inFlags(err error, cmd *cobra.Command) string {
	msg := err.Error()
	var found []failure.Renderer
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if r, ok := e.(failure.Renderer); ok {
			found = append(found, r)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	// The longest first: an outer sentence may contain an inner one.
	sort.SliceStable(found, func(i, j int) bool { return len(found[i].Error()) > len(found[j].Error()) })
	name := flagName(cmd)
	for _, r := range found {
		msg = strings.Replace(msg, r.Error(), r.Render(name), 1)
	}
	return msg
}
