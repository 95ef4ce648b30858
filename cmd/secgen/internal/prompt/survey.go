// Package prompt asks questions on a terminal. It is the only package that
// knows about the survey library, so it can be replaced without touching the
// engine, which sees only the answers.Prompter interface.
package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"

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
	message := p.Message
	// "?" shows the help, or the validation rule where there is no help.
	help := p.Help
	if help == "" {
		help = p.Rule
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

// Gate asks whether to customize a section; No (the default) keeps the
// section's defaults.
func (s Survey) Gate(ctx context.Context, title string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var yes bool
	q := &survey.Confirm{
		Message: fmt.Sprintf("Customize %s settings?", title),
		Help:    "No keeps the defaults of every question in this section; questions without a usable default are still asked.",
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
