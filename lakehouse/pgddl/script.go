package pgddl

import "strings"

// Script is DDL to run in order: first the statements that run in one
// transaction, then those that cannot run inside one (CREATE INDEX
// CONCURRENTLY), each on its own.
type Script struct {
	// Header is the comment at the top: what the script is for.
	Header string
	// Statements are the statements, in order.
	Statements []Statement
}

// Statement is one SQL statement with what it costs.
type Statement struct {
	// Comment says what the statement does, what it locks and whether it
	// rewrites the table.
	Comment string
	// SQL is the statement, ending with a semicolon.
	SQL string
	// Concurrent reports whether the statement must run outside a
	// transaction block.
	Concurrent bool
}

// String renders the script: the header, BEGIN, the transactional
// statements, COMMIT, then the concurrent ones.
func (s *Script) String() string {
	var b strings.Builder
	comment(&b, s.Header)
	b.WriteString("\nBEGIN;\n")
	for _, st := range s.Statements {
		if !st.Concurrent {
			b.WriteString("\n")
			comment(&b, st.Comment)
			b.WriteString(st.SQL + "\n")
		}
	}
	b.WriteString("\nCOMMIT;\n")
	for _, st := range s.Statements {
		if st.Concurrent {
			b.WriteString("\n")
			comment(&b, st.Comment)
			b.WriteString(st.SQL + "\n")
		}
	}
	return b.String()
}

// comment writes text as SQL line comments.
func comment(b *strings.Builder, text string) {
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			b.WriteString("--\n")
			continue
		}
		b.WriteString("-- " + line + "\n")
	}
}

// add appends a statement.
func (s *Script) add(comment, sql string) {
	s.Statements = append(s.Statements, Statement{Comment: comment, SQL: sql})
}
