// Package prompt asks questions on a terminal. It is the only package that
// knows about the survey library, so it can be replaced without touching the
// engine, which sees only the answers.Prompter interface.
package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"

	"github.com/secgen/secgen/generator/answers"
)

// Survey asks with survey prompts on the given terminal streams.
type Survey struct {
	In  terminal.FileReader
	Out terminal.FileWriter
	Err io.Writer
}

var (
	_ answers.Prompter = Survey{}
	_ answers.Gater    = Survey{}
)

// ErrInterrupted is returned when the user interrupts a prompt (Ctrl-C,
// or Ctrl-D).
var ErrInterrupted = errors.New("interrupted")

// eotInterrupts reads the terminal as survey does, except that Ctrl-D (end
// of transmission), which survey takes as Enter and so as the default, is
// read as Ctrl-C: it cancels the whole command, nothing written.
type eotInterrupts struct{ terminal.FileReader }

func (r eotInterrupts) Read(p []byte) (int, error) {
	n, err := r.FileReader.Read(p)
	for i := range p[:n] {
		if p[i] == terminal.KeyEndTransmission {
			p[i] = terminal.KeyInterrupt
		}
	}
	return n, err
}

// stdio is the survey option that draws on s's streams.
func (s Survey) stdio() survey.AskOpt {
	return survey.WithStdio(eotInterrupts{s.In}, s.Out, s.Err)
}

// Ask shows one question and returns the answer's text form.
func (s Survey) Ask(ctx context.Context, p answers.Prompt) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if p.Problem != "" {
		fmt.Fprintf(s.Err, "  %s: %s\n", p.Name, p.Problem)
	}
	opts := []survey.AskOpt{s.stdio()}
	message := Printable(p.Message)
	// "?" shows the help, or the validation rule where there is no help.
	help := Printable(p.Help)
	if help == "" {
		help = Printable(p.Rule)
	}
	if help == "" && p.Type == answers.Bool {
		help = "yes or no"
	}
	var err error
	var text string
	switch p.Type {
	case answers.Bool:
		var b bool
		err = survey.AskOne(&survey.Confirm{Message: message, Help: help, Default: p.Default == "true"}, &b, opts...)
		text = fmt.Sprint(b)
	case answers.Enum:
		q := &survey.Select{Message: message, Help: help, Options: p.Choices}
		if p.Default != "" {
			q.Default = p.Default
		}
		err = survey.AskOne(q, &text, opts...)
	case answers.List:
		err = survey.AskOne(&survey.Input{Message: message + " (comma-separated)", Help: help, Default: p.Default}, &text, opts...)
	default:
		err = survey.AskOne(&survey.Input{Message: message, Help: help, Default: p.Default}, &text, opts...)
	}
	if errors.Is(err, terminal.InterruptErr) {
		return "", ErrInterrupted
	}
	if err != nil {
		return "", fmt.Errorf("prompt: %w", err)
	}
	return text, nil
}

// Gate asks whether to customize a section, after listing the defaults
// its No keeps (placeholders marked, questions asked anyway named); No (the
// default) keeps them.
func (s Survey) Gate(ctx context.Context, g answers.Gate) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	title := Printable(g.Title)
	if len(g.Keeps) > 0 {
		fmt.Fprintf(s.Err, "%s defaults (No keeps them):\n", title)
		tw := tabwriter.NewWriter(s.Err, 0, 4, 2, ' ', 0)
		placeholders := false
		for _, k := range g.Keeps {
			switch {
			case k.Asked:
				fmt.Fprintf(tw, "  %s\t(no default: asked)\n", k.Name)
			case k.Placeholder:
				placeholders = true
				fmt.Fprintf(tw, "  %s\t%s  (placeholder)\n", k.Name, Shown(k.Value))
			default:
				fmt.Fprintf(tw, "  %s\t%s\n", k.Name, Shown(k.Value))
			}
		}
		_ = tw.Flush() // a terminal write error shows at the prompt
		if placeholders {
			fmt.Fprintln(s.Err, "  (a placeholder stands in for a real value: replace it before you deploy; secgen check lists it)")
		}
	}
	var yes bool
	q := &survey.Confirm{
		Message: fmt.Sprintf("Customize %s settings?", title),
		Help:    "No keeps the defaults listed above; questions without a usable default are still asked.",
	}
	err := survey.AskOne(q, &yes, s.stdio())
	if errors.Is(err, terminal.InterruptErr) {
		return false, ErrInterrupted
	}
	if err != nil {
		return false, fmt.Errorf("prompt: %w", err)
	}
	return yes, nil
}

// ErrDeclined is returned when the user answers No at the review: the
// command ends and nothing is written.
var ErrDeclined = errors.New("declined at the review: nothing was written")

// Review is the screen shown before writing: the answers, already laid
// out, and the question "Write N files to DIR?".
type Review struct {
	// Text is the review itself, printed as it is.
	Text  string
	Files int
	Dir   string
	// Sections are the sections that can be answered again, in order.
	Sections []Section
}

// Section is a section of questions: its name and title.
type Section struct{ Name, Title string }

// Review shows r and asks "Write N files to DIR? [Y/n/edit]": Y or Enter
// returns "", n ErrDeclined, and edit the name of the section to answer
// again (picked from a list when there are several).
func (s Survey) Review(ctx context.Context, r Review) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	fmt.Fprint(s.Err, r.Text)
	choices, help := "[Y/n]", "Y or Enter writes the files; n cancels and writes nothing."
	if len(r.Sections) > 0 {
		choices, help = "[Y/n/edit]", "Y or Enter writes the files; n cancels and writes nothing; edit answers one section again."
	}
	q := &survey.Input{Message: fmt.Sprintf("Write %d files to %s? %s", r.Files, r.Dir, choices), Help: help}
	for {
		var text string
		if err := s.ask(q, &text); err != nil {
			return "", err
		}
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "", "y", "yes":
			return "", nil
		case "n", "no":
			return "", ErrDeclined
		case "e", "edit":
			if len(r.Sections) > 0 {
				return s.pickSection(r.Sections)
			}
		}
		fmt.Fprintf(s.Err, "  answer %s\n", strings.Trim(choices, "[]"))
	}
}

// pickSection asks which section to answer again.
func (s Survey) pickSection(sections []Section) (string, error) {
	if len(sections) == 1 {
		return sections[0].Name, nil
	}
	titles := make([]string, len(sections))
	for i, sec := range sections {
		titles[i] = Printable(sec.Title)
	}
	var picked int
	if err := s.ask(&survey.Select{Message: "Answer which section again?", Options: titles}, &picked); err != nil {
		return "", err
	}
	return sections[picked].Name, nil
}

// ask asks one survey prompt on s's streams.
func (s Survey) ask(q survey.Prompt, v any) error {
	err := survey.AskOne(q, v, s.stdio())
	if errors.Is(err, terminal.InterruptErr) {
		return ErrInterrupted
	}
	if err != nil {
		return fmt.Errorf("prompt: %w", err)
	}
	return nil
}

// maxShown bounds an answer shown in a list (the review, a gate).
const maxShown = 100

// Shown is an answer as a one-line list shows it: its first line, cut to
// a bounded length, and quoted when it is empty or has spaces; characters
// a terminal would interpret never reach it (answers refuse them anyway).
func Shown(v string) string {
	cut := false
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		v, cut = v[:i], true
	}
	if r := []rune(v); len(r) > maxShown {
		v, cut = string(r[:maxShown]), true
	}
	v = Printable(v)
	if cut {
		v += "…"
	}
	if v == "" || strings.ContainsAny(v, " \t\"") {
		return strconv.Quote(v)
	}
	return v
}

// Printable is s without the control characters a terminal would
// interpret (an escape sequence in a hostile catalog's title or prompt
// never reaches the terminal); newlines stay.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
