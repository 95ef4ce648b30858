package audit

import (
	"regexp"
	"regexp/syntax"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// matchesOptimizations compile the constant pattern of matches() once per
// program, as CEL's own optimization does, but split a pattern that is an
// alternation at its top (A|B|C) into one expression per branch, tried in
// turn. A text contains a match of A|B|C exactly when it contains a match
// of one of them, so the result is the same; but each branch alone often
// starts with a literal ("-----BEGIN ", "AKIA"), which the regexp package
// finds with a string search instead of stepping its automaton through
// every byte of a file. The secret-scanning rules read every file whole:
// this is most of an audit's matching time.
func matchesOptimizations() cel.ProgramOption {
	var opts []*interpreter.RegexOptimization
	for _, id := range []string{overloads.Matches, overloads.MatchesString} {
		opts = append(opts, &interpreter.RegexOptimization{Function: overloads.Matches, OverloadID: id, RegexIndex: 1, Factory: splitMatches})
	}
	return cel.OptimizeRegex(opts...)
}

// splitMatches is the RegexOptimization factory of matchesOptimizations.
func splitMatches(call interpreter.InterpretableCall, pattern string) (interpreter.InterpretableCall, error) {
	branches, err := compileBranches(pattern)
	if err != nil {
		return nil, err
	}
	return interpreter.NewCall(call.ID(), call.Function(), call.OverloadID(), call.Args(), func(values ...ref.Val) ref.Val {
		if len(values) != 2 {
			return types.NoSuchOverloadErr()
		}
		in, ok := values[0].Value().(string)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		for _, re := range branches {
			if re.MatchString(in) {
				return types.True
			}
		}
		return types.False
	}), nil
}

// compileBranches compiles pattern as the expressions of its top-level
// alternation (pattern itself when it is not one). An invalid pattern is
// the error regexp.Compile gives for it.
func compileBranches(pattern string) ([]*regexp.Regexp, error) {
	whole, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || tree.Op != syntax.OpAlternate {
		return []*regexp.Regexp{whole}, nil
	}
	out := make([]*regexp.Regexp, 0, len(tree.Sub))
	for _, sub := range tree.Sub {
		re, err := regexp.Compile(sub.String())
		if err != nil {
			return []*regexp.Regexp{whole}, nil
		}
		out = append(out, re)
	}
	return out, nil
}
