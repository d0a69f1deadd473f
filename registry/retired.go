package registry

import "strings"

// How retired subjects take part in a push's check (see lifecycle.go):
// not at all, unless the push declares them again.

// withoutRetired returns stored without the retired subjects that declared
// does not declare again: they are neither checked nor required to have a
// message. A retired subject declared again stays, with its ledger: it is
// active again from this push on.
func withoutRetired(declared []SubjectSpec, stored []Subject) []Subject {
	retired := 0
	for _, st := range stored {
		if st.Retired != nil {
			retired++
		}
	}
	if retired == 0 {
		return stored
	}
	again := make(map[string]bool, len(declared))
	for _, d := range declared {
		again[d.Name] = true
	}
	out := make([]Subject, 0, len(stored)-retired)
	for _, st := range stored {
		if st.Retired == nil || again[st.Name] {
			out = append(out, st)
		}
	}
	return out
}

// unretired returns stored with every subject active: the governed
// configuration of a baseline includes the retired subjects as they were
// when retired, so that declaring one again cannot weaken its level, rules,
// kind or primary key unnoticed.
func unretired(stored []Subject) []Subject {
	out := make([]Subject, len(stored))
	for i, st := range stored {
		st.Retired = nil
		out[i] = st
	}
	return out
}

// nameModule completes the retire command of SUBJECT_NO_DELETE findings
// with the module's name.
func nameModule(findings []Finding, module string) {
	for i := range findings {
		if findings[i].Rule == "SUBJECT_NO_DELETE" {
			findings[i].Message = strings.Replace(findings[i].Message, "retire <module> ", "retire "+module+" ", 1)
		}
	}
}

// dropRetiredDeletions removes the module rules' MESSAGE_NO_DELETE findings
// about the messages of retired subjects that the push does not declare
// again (and the messages nested in them): retiring a subject is an
// admin's approval of deleting its message.
func dropRetiredDeletions(findings []Finding, stored []Subject, declared []SubjectSpec) []Finding {
	active := withoutRetired(declared, stored)
	if len(active) == len(stored) {
		return findings
	}
	retired := make(map[string]bool, len(stored)-len(active))
	for _, st := range stored {
		retired[st.Name] = true
	}
	for _, st := range active {
		delete(retired, st.Name)
	}
	out := findings[:0]
	for _, f := range findings {
		if f.Subject == "" && !f.Policy && f.Rule == "MESSAGE_NO_DELETE" && retiredElement(f.Element, retired) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// retiredElement reports whether element is one of the retired messages
// or nested in one.
func retiredElement(element string, retired map[string]bool) bool {
	for name := element; name != ""; {
		if retired[name] {
			return true
		}
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[:i]
	}
	return false
}
