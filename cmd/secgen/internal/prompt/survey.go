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

var _ answers.Prompter = Survey{}

// ErrInterrupted is returned when the user interrupts a prompt.
var ErrInterrupted = errors.New("interrupted")

// Ask shows one question and returns the answer's text form.
func (s Survey) Ask(ctx context.Context, p answers.Prompt) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if p.Problem != "" {
		fmt.Fprintf(s.Err, "  %s: %s\n", p.Name, p.Problem)
	}
	opts := []survey.AskOpt{survey.WithStdio(s.In, s.Out, s.Err)}
	message := p.Message
	var err error
	var text string
	switch p.Type {
	case answers.Bool:
		var b bool
		err = survey.AskOne(&survey.Confirm{Message: message, Help: p.Help, Default: p.Default == "true"}, &b, opts...)
		text = fmt.Sprint(b)
	case answers.Enum:
		q := &survey.Select{Message: message, Help: p.Help, Options: p.Choices}
		if p.Default != "" {
			q.Default = p.Default
		}
		err = survey.AskOne(q, &text, opts...)
	case answers.List:
		err = survey.AskOne(&survey.Input{Message: message + " (comma-separated)", Help: p.Help, Default: p.Default}, &text, opts...)
	default:
		err = survey.AskOne(&survey.Input{Message: message, Help: p.Help, Default: p.Default}, &text, opts...)
	}
	if errors.Is(err, terminal.InterruptErr) {
		return "", ErrInterrupted
	}
	if err != nil {
		return "", fmt.Errorf("prompt: %w", err)
	}
	return text, nil
}
