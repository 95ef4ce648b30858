package render

import (
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// forbiddenFuncs are removed from sprig's hermetic map: anything that reads
// the clock, randomness, the environment, the network or the OS, or that
// generates key material. Templates must be pure functions of their answers.
var forbiddenFuncs = []string{
	// clock
	"now", "ago", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify",
	"mustDateModify", "must_date_modify", "htmlDate", "htmlDateInZone", "toDate", "mustToDate",
	"duration", "durationRound", "unixEpoch",
	// randomness
	"randInt", "randAlpha", "randAlphaNum", "randAscii", "randNumeric", "randBytes",
	"shuffle", "uuidv4",
	// key material and salted hashes (random, and secrets have no place in output)
	"genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey",
	"genSignedCert", "genSignedCertWithKey", "encryptAES", "decryptAES", "bcrypt", "htpasswd",
	"derivePassword",
	// environment, OS and network
	"env", "expandenv", "getHostByName", "osBase", "osClean", "osDir", "osExt", "osIsAbs",
}

// baseFuncs returns sprig's hermetic text functions without forbiddenFuncs,
// plus secgen's quoting functions.
func baseFuncs() template.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for _, name := range forbiddenFuncs {
		delete(fm, name)
	}
	// fail refuses answers that are valid one by one but not together (a template's own
	// consistency check); its message reaches the user as the whole error.
	fm["fail"] = func(msg string) (string, error) { return "", inconsistentAnswers(msg) }
	fm["yamlString"] = yamlString
	fm["hclString"] = hclString
	fm["goString"] = goString
	fm["shellArg"] = shellArg
	fm["markdown"] = markdown
	fm["commentLines"] = commentLines
	fm["oneLine"] = oneLine
	return fm
}

// inconsistentAnswers is the error of a template's fail: answers that do not fit together.
type inconsistentAnswers string

func (e inconsistentAnswers) Error() string { return string(e) }
