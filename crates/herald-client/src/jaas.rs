//! `sasl.jaas.config` for the two login modules herald speaks: read into
//! credentials, and written from `sasl.username` / `sasl.password`.
//!
//! Written by hand because the grammar is one line of Java's `JaasConfig`
//! (`<class> <flag> key=value … ;`) and no maintained crate parses it.
//! Messages never quote a value: the option values are credentials.

/// The login module of `sasl.mechanism` PLAIN.
pub(crate) const PLAIN_MODULE: &str = "org.apache.kafka.common.security.plain.PlainLoginModule";
/// The login module of `sasl.mechanism` SCRAM-SHA-256 and SCRAM-SHA-512.
pub(crate) const SCRAM_MODULE: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";

/// What a `sasl.jaas.config` says: the login module and its credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Jaas {
    /// The login module's class, as written.
    pub(crate) module: String,
    pub(crate) username: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for Jaas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password: settings end up in logs.
        f.debug_struct("Jaas")
            .field("module", &self.module)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Jaas {
    /// Whether the module is `simple` (`PlainLoginModule`), with or without
    /// its package, as Kafka's modules are often written short in examples.
    pub(crate) fn is_module(&self, full: &str) -> bool {
        let simple = full.rsplit('.').next().unwrap_or(full);
        self.module == full || self.module == simple
    }
}

/// The `sasl.jaas.config` that authenticates `username` / `password` with
/// `module`, quoted so that any character survives Java's tokenizer.
pub(crate) fn compose(module: &str, username: &str, password: &str) -> String {
    format!(
        "{module} required username=\"{}\" password=\"{}\";",
        escape(username),
        escape(password)
    )
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
}

/// Reads `sasl.jaas.config`: one login module with its control flag
/// (`required`, `requisite`, `sufficient`, `optional`), options
/// `key=value` with the value bare or in double or single quotes (backslash
/// escapes decoded inside quotes), and an optional closing `;`.
pub(crate) fn parse(text: &str) -> Result<Jaas, String> {
    let tokens = tokenize(text)?;
    let mut tokens = tokens.into_iter().peekable();
    let Some(Token::Word(module)) = tokens.next() else {
        return Err("sasl.jaas.config does not start with a login module class".to_owned());
    };
    match tokens.next() {
        Some(Token::Word(flag))
            if ["required", "requisite", "sufficient", "optional"]
                .contains(&flag.to_ascii_lowercase().as_str()) => {}
        _ => {
            return Err(format!(
                "sasl.jaas.config: {module} is not followed by a control flag (required, requisite, sufficient or optional)"
            ));
        }
    }
    let (mut username, mut password) = (None, None);
    loop {
        match tokens.next() {
            None => break,
            Some(Token::Semicolon) => {
                if tokens.peek().is_some() {
                    return Err(
                        "sasl.jaas.config holds more than one login module; give one".to_owned(),
                    );
                }
                break;
            }
            Some(Token::Word(key)) => {
                let value = match (tokens.next(), tokens.next()) {
                    (Some(Token::Equals), Some(Token::Word(v) | Token::Quoted(v))) => v,
                    _ => {
                        return Err(format!(
                            "sasl.jaas.config: option {key} is not written key=value"
                        ));
                    }
                };
                match key.as_str() {
                    "username" => username = Some(value),
                    "password" => password = Some(value),
                    _ => {}
                }
            }
            Some(_) => {
                return Err("sasl.jaas.config: expected an option key=value".to_owned());
            }
        }
    }
    let missing = |what: &str| format!("sasl.jaas.config: {module} has no {what} option");
    Ok(Jaas {
        username: username.ok_or_else(|| missing("username"))?,
        password: password.ok_or_else(|| missing("password"))?,
        module,
    })
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                tokens.push(Token::Equals);
            }
            ';' => {
                chars.next();
                tokens.push(Token::Semicolon);
            }
            '"' | '\'' => {
                chars.next();
                tokens.push(Token::Quoted(quoted(&mut chars, c)?));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '=' | ';' | '"' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

/// The rest of a quoted value up to its closing `quote`, escapes decoded
/// as Java's `StreamTokenizer` does for the common ones.
fn quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    quote: char,
) -> Result<String, String> {
    let unterminated = || "sasl.jaas.config: a quoted value is not closed".to_owned();
    let mut value = String::new();
    loop {
        match chars.next().ok_or_else(unterminated)? {
            '\\' => match chars.next().ok_or_else(unterminated)? {
                'n' => value.push('\n'),
                'r' => value.push('\r'),
                't' => value.push('\t'),
                other => value.push(other),
            },
            '\n' | '\r' => return Err(unterminated()),
            c if c == quote => return Ok(value),
            c => value.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_scram_configs_are_read() {
        let j = parse(
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cret";"#,
        )
        .unwrap();
        assert!(j.is_module(PLAIN_MODULE) && !j.is_module(SCRAM_MODULE));
        assert_eq!(
            (j.username.as_str(), j.password.as_str()),
            ("alice", "s3cret")
        );
        let j = parse("ScramLoginModule  REQUIRED  username = bob\n password='a b'").unwrap();
        assert!(j.is_module(SCRAM_MODULE));
        assert_eq!((j.username.as_str(), j.password.as_str()), ("bob", "a b"));
        let j = parse(r#"PlainLoginModule required password="a\"b\\c" username="u";"#).unwrap();
        assert_eq!(j.password, "a\"b\\c");
    }

    #[test]
    fn composed_configs_read_back_whatever_the_characters() {
        for password in [
            "plain",
            "with \"quotes\"",
            "back\\slash",
            "semi;colon = x",
            "line\nbreak",
        ] {
            let text = compose(SCRAM_MODULE, "user name", password);
            let j = parse(&text).unwrap();
            assert!(j.is_module(SCRAM_MODULE));
            assert_eq!(j.username, "user name");
            assert_eq!(j.password, password, "{text}");
        }
    }

    #[test]
    fn malformed_configs_are_refused_without_the_password() {
        for text in [
            "",
            "PlainLoginModule username=\"u\" password=\"hidden\";",
            "PlainLoginModule required username=\"u\" password=\"hidden;",
            "PlainLoginModule required username=\"u\" password;",
            "PlainLoginModule required username=\"u\";",
            "PlainLoginModule required username=\"u\" password=\"hidden\"; Other required;",
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with("sasl.jaas.config"), "{e}");
            assert!(!e.contains("hidden"), "{e}");
        }
        let j = parse("PlainLoginModule required username=u password=hidden;").unwrap();
        assert!(!format!("{j:?}").contains("hidden"));
    }
}
