//! Masking secret values in text shown to people and CI logs: source snippets of
//! findings, and generated files in diffs.
//!
//! Values are masked where their key names them a secret (`password`, `token`,
//! `api_key`...), inside the `data` and `stringData` of Kubernetes Secrets, and wherever
//! they have the shape of a well-known credential (AWS access key ids, GitHub and Slack
//! tokens, Stripe live keys, PEM private keys), whoever put them there. A masked value
//! keeps its length in bytes, so that spans into the text still point at the same
//! places.

use std::borrow::Cow;

const MASK: u8 = b'*';

/// Words that make a key name a secret's, compared with the key's tokens (split at
/// `_`, `-`, `.` and lower-to-upper case changes).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
];

/// Words that make `key` a secret's when they come with it (`api_key`, `private-key`).
const KEY_QUALIFIERS: &[&str] = &["api", "private", "secret", "access", "signing"];

/// Prefixes of well-known credentials, with the shortest credential each starts.
const CREDENTIAL_PREFIXES: &[(&str, usize)] = &[
    ("AKIA", 20),
    ("ASIA", 20),
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 30),
    ("xoxa-", 15),
    ("xoxb-", 15),
    ("xoxp-", 15),
    ("xoxr-", 15),
    ("sk_live_", 16),
];

/// `text` with every secret value masked; borrowed when nothing needed masking.
pub(crate) fn mask(text: &str) -> Cow<'_, str> {
    let mut bytes: Option<Vec<u8>> = None;
    let mut ranges = Vec::new();
    let mut secret_document = false;
    // The indentation of an open `data:` / `stringData:` block of a Secret.
    let mut secret_block: Option<usize> = None;
    // The indentation of a secret's key whose value is a block scalar (`key: |`).
    let mut secret_scalar: Option<usize> = None;
    let mut private_key = false;
    // The key column of a mapping whose `name` is a secret's (see below).
    let mut named_secret: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let indent = content.len() - trimmed.len();
        if private_key {
            ranges.push((start + indent, start + content.len()));
            if trimmed.starts_with("-----END ") {
                private_key = false;
            }
            continue;
        }
        if let Some(key_indent) = secret_scalar {
            if trimmed.is_empty() {
                continue;
            }
            if indent > key_indent {
                ranges.push((start + indent, start + content.len()));
                continue;
            }
            secret_scalar = None;
        }
        if content.starts_with("---") {
            secret_document = false;
            secret_block = None;
        }
        if trimmed.starts_with("kind: Secret") && trimmed[12..].trim().is_empty() {
            secret_document = true;
        }
        if let Some(block) = secret_block {
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if indent > block {
                if let Some((_, (from, to))) = key_value(content) {
                    ranges.push((start + from, start + to));
                } else if opens_block_scalar(trimmed) {
                    secret_scalar = Some(indent);
                }
                continue;
            }
            secret_block = None;
        }
        if secret_document && matches!(trimmed, "data:" | "stringData:") {
            secret_block = Some(indent);
            continue;
        }
        if let Some(at) = content.find("-----BEGIN ")
            && content[at..].contains("PRIVATE KEY-----")
        {
            ranges.push((start + at, start + content.len()));
            private_key = !content[at + 11..].contains("-----END ");
            continue;
        }
        let pair = key_value(content);
        // The column of the key, for `name:` / `value:` pairs of one mapping.
        let column = indent + usize::from(trimmed.starts_with("- ")) * 2;
        if named_secret.is_some_and(|at| column < at || (column == at && trimmed.starts_with("- ")))
        {
            named_secret = None;
        }
        if let Some((key, value)) = pair {
            let text = &content[value.0..value.1];
            if key == "name" && secret_name(text.trim_matches(['"', '\''])) {
                // `- name: DB_PASSWORD` then `value: ...`: a Kubernetes env entry.
                named_secret = Some(column);
            } else if key == "value" && named_secret == Some(column) && !value_is_reference(text) {
                ranges.push((start + value.0, start + value.1));
                named_secret = None;
            }
        }
        if let Some((key, value)) = pair
            && secret_name(key)
            && !value_is_reference(&content[value.0..value.1])
        {
            ranges.push((start + value.0, start + value.1));
        } else if opens_block_scalar(trimmed)
            && trimmed
                .split_once(':')
                .is_some_and(|(key, _)| secret_name(key))
        {
            secret_scalar = Some(indent);
        }
        for (from, to) in credentials(content).into_iter().chain(flow_values(content)) {
            ranges.push((start + from, start + to));
        }
    }
    for (from, to) in ranges {
        let bytes = bytes.get_or_insert_with(|| text.as_bytes().to_vec());
        bytes[from..to].fill(MASK);
    }
    match bytes {
        // Masking replaces whole UTF-8 sequences' bytes with ASCII: still UTF-8.
        Some(bytes) => Cow::Owned(String::from_utf8(bytes).unwrap_or_default()),
        None => Cow::Borrowed(text),
    }
}

/// Whether a key names a secret: `DB_PASSWORD`, `apiToken`, `client-secret`,
/// `SIGNING_KEY`. `PASSWORD_LENGTH` does too: a masked harmless value costs less than
/// a leaked secret.
pub(crate) fn secret_name(key: &str) -> bool {
    let tokens = tokens(key);
    tokens.iter().any(|t| SECRET_WORDS.contains(&t.as_str()))
        || (tokens.iter().any(|t| t == "key")
            && tokens.iter().any(|t| KEY_QUALIFIERS.contains(&t.as_str())))
}

fn tokens(key: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            tokens.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            tokens.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    tokens.push(current);
    tokens.retain(|t| !t.is_empty());
    tokens
}

/// A value made only of placeholders (`${resources.db.password}`) refers to a secret
/// without holding it.
fn value_is_reference(value: &str) -> bool {
    let value = value.trim_matches(['"', '\'']);
    let mut rest = value;
    if rest.is_empty() {
        return true;
    }
    while let Some(after) = rest.strip_prefix("${") {
        let Some(end) = after.find('}') else {
            return false;
        };
        rest = &after[end + 1..];
    }
    rest.is_empty()
}

/// The key and the value's byte range of a one-line `key: value` (YAML), `"key": value`
/// (JSON) or `key = value` (HCL, env files). Values that open a block (`{`, `[`, `|`,
/// `>` or nothing) are left to their own lines.
fn key_value(line: &str) -> Option<(&str, (usize, usize))> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let item = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let indent = indent + (trimmed.len() - item.len());
    let (key, after) = if let Some(quoted) = item.strip_prefix('"') {
        let end = quoted.find('"')?;
        (&quoted[..end], end + 2)
    } else {
        let end = item.find([':', '='])?;
        (item[..end].trim_end(), end)
    };
    if key.is_empty() || (key.contains(char::is_whitespace) && !item.starts_with('"')) {
        return None;
    }
    let rest = &item[after..];
    let separator = after + (rest.len() - rest.trim_start().len());
    if !item[separator..].starts_with([':', '=']) {
        return None;
    }
    let value = &item[separator + 1..];
    let value_start = separator + 1 + (value.len() - value.trim_start().len());
    let mut value = &item[value_start..];
    // A YAML or HCL comment after the value is not part of it.
    if let Some(comment) = value.find(" #") {
        value = &value[..comment];
    }
    let value = value.trim_end().trim_end_matches(',').trim_end();
    if value.is_empty() || value.starts_with(['{', '[', '|', '>']) || value == "null" {
        return None;
    }
    let from = indent + value_start;
    Some((key, (from, from + value.len())))
}

/// Byte ranges of the values of secrets' keys inside one-line flow mappings:
/// `params: {password: x, user: y}`, `{"token": "x"}`, `{ api_key = "x" }`, and the
/// `value` of a `{name: DB_PASSWORD, value: x}` entry.
fn flow_values(line: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    if !line.contains('{') {
        return found;
    }
    // Each bracket's partner, so that a scan steps over nested flows whole and every
    // character is looked at a bounded number of times, however the brackets nest.
    let bytes = line.as_bytes();
    let mut partner = vec![usize::MAX; bytes.len()];
    let mut open = Vec::new();
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' | b'[' => open.push(i),
            b'}' | b']' => {
                if let Some(start) = open.pop() {
                    partner[start] = i;
                }
            }
            _ => {}
        }
    }
    for (brace, _) in line.match_indices('{') {
        let mut at = brace + 1;
        let mut named_secret = false;
        while at < line.len() {
            let rest = &line[at..];
            let Some(separator) = rest.find([':', '=', '}', '{']) else {
                break;
            };
            if matches!(rest.as_bytes()[separator], b'}' | b'{') {
                break;
            }
            let key = rest[..separator].trim().trim_matches(['"', '\'']);
            let after = at + separator + 1;
            let from = after + (line[after..].len() - line[after..].trim_start().len());
            let end = flow_value_end(line, from, &partner);
            let value = line[from..end].trim_end();
            let to = from + value.len();
            let literal = !value.is_empty()
                && !value.starts_with(['{', '['])
                && value != "null"
                && !value_is_reference(value);
            if key == "name" {
                named_secret = secret_name(value.trim_matches(['"', '\'']));
            } else if literal && (secret_name(key) || (key == "value" && named_secret)) {
                found.push((from, to));
            }
            if !line[end..].starts_with(',') {
                break;
            }
            at = end + 1;
        }
    }
    found
}

/// Where a flow mapping's value that starts at `from` ends: at the next `,` or `}`
/// outside quotes, nested flows and placeholders.
fn flow_value_end(line: &str, from: usize, partner: &[usize]) -> usize {
    let bytes = line.as_bytes();
    let mut i = from;
    if let Some(&quote) = bytes.get(from).filter(|b| matches!(b, b'"' | b'\''))
        && let Some(close) = line[from + 1..].find(char::from(quote))
    {
        i = from + 1 + close + 1;
    }
    while i < bytes.len() {
        match bytes[i] {
            b',' | b'}' => return i,
            b'{' | b'[' => match partner[i] {
                usize::MAX => return bytes.len(),
                close => i = close + 1,
            },
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Whether a YAML line is `key: |` or `key: >` (with any chomping indicator).
fn opens_block_scalar(trimmed: &str) -> bool {
    trimmed
        .split_once(": ")
        .is_some_and(|(_, value)| value.trim().starts_with(['|', '>']))
}

/// Byte ranges of credential-shaped tokens in a line.
fn credentials(line: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for (prefix, shortest) in CREDENTIAL_PREFIXES {
        for (at, _) in line.match_indices(prefix) {
            let boundary = line[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let end = line[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(line.len(), |n| at + n);
            if boundary && end - at >= *shortest {
                found.push((at, end));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_under_secret_keys_are_masked() {
        let text =
            "env:\n  DB_PASSWORD: hunter2 # literal\n  LOG_LEVEL: info\n  apiToken: \"abc\"\n";
        let masked = mask(text);
        assert_eq!(
            masked,
            "env:\n  DB_PASSWORD: ******* # literal\n  LOG_LEVEL: info\n  apiToken: *****\n"
        );
        assert_eq!(masked.len(), text.len());
    }

    #[test]
    fn references_and_blocks_stay() {
        let text = "DB_PASSWORD: ${resources.db.password}\nsecrets:\n  token: {from: vault}\n";
        assert_eq!(mask(text), text);
    }

    #[test]
    fn kubernetes_env_entries_named_like_secrets_are_masked() {
        let text = "env:\n  - name: SMTP_PASSWORD\n    value: hunter2\n  - name: LOG_LEVEL\n    value: info\n";
        assert_eq!(
            mask(text),
            "env:\n  - name: SMTP_PASSWORD\n    value: *******\n  - name: LOG_LEVEL\n    value: info\n"
        );
        let text = "- value: first\n  name: API_TOKEN\n- name: API_TOKEN\n  valueFrom: {}\n- name: X\n  value: y\n";
        assert_eq!(
            mask(text),
            text,
            "only a `value` after the `name`, in the same entry"
        );
    }

    #[test]
    fn json_and_hcl_values_are_masked() {
        assert_eq!(
            mask("  \"client_secret\": \"s3cr3t\",\n"),
            "  \"client_secret\": ********,\n"
        );
        assert_eq!(
            mask("  master_password = \"s3cr3t\"\n"),
            "  master_password = ********\n"
        );
        assert_eq!(mask("  password_length = 32\n"), "  password_length = **\n");
    }

    #[test]
    fn kubernetes_secret_data_is_masked() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  host: ZGI=\n  user: YWRtaW4=\ntype: Opaque\n---\nkind: ConfigMap\ndata:\n  host: db\n";
        let masked = mask(text);
        assert!(masked.contains("  host: ****\n  user: ********\ntype: Opaque"));
        assert!(masked.ends_with("data:\n  host: db\n"), "{masked}");
        let text = "kind: Secret\nstringData:\n  config.yaml: |\n    user: admin\n    port: 5432\n";
        assert_eq!(
            mask(text),
            "kind: Secret\nstringData:\n  config.yaml: |\n    ***********\n    **********\n"
        );
    }

    #[test]
    fn credential_shapes_are_masked_anywhere() {
        let text = "note: key AKIAABCDEFGHIJKLMNOP and ghp_0123456789abcdefghij here\n";
        assert_eq!(
            mask(text),
            "note: key ******************** and ************************ here\n"
        );
        assert_eq!(mask("AKIA is a prefix\n"), "AKIA is a prefix\n");
    }

    #[test]
    fn private_keys_are_masked_whole() {
        let text = "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEow\n  -----END RSA PRIVATE KEY-----\nnext: 1\n";
        let masked = mask(text);
        assert!(!masked.contains("MIIEow") && !masked.contains("BEGIN"));
        assert!(masked.ends_with("next: 1\n"));
        let text = "tls_private_key: |\n  line one\n  line two\nnext: 1\n";
        assert_eq!(
            mask(text),
            "tls_private_key: |\n  ********\n  ********\nnext: 1\n"
        );
    }

    #[test]
    fn flow_mappings_are_masked_by_key() {
        assert_eq!(
            mask("    params: {password: hunter2, user: app}\n"),
            "    params: {password: *******, user: app}\n"
        );
        assert_eq!(
            mask("  db: {\"token\": \"a, b\", \"x\": 1}\n"),
            "  db: {\"token\": ******, \"x\": 1}\n"
        );
        assert_eq!(
            mask("env: [{name: SMTP_PASSWORD, value: hunter2}, {name: X, value: y}]\n"),
            "env: [{name: SMTP_PASSWORD, value: *******}, {name: X, value: y}]\n"
        );
        let text = "  secrets: {DB_PASSWORD: {ref: api/db, key: password}}\n  x: {token: ${resources.db.token}}\n";
        assert_eq!(mask(text), text);
    }

    #[test]
    fn nested_flows_are_stepped_over() {
        assert_eq!(
            mask("a: {b: {c: 1, d: [2, 3]}, password: hunter2}\n"),
            "a: {b: {c: 1, d: [2, 3]}, password: *******}\n"
        );
        // Deep, unclosed nesting on one long line is masked in linear time.
        let hostile = format!("{}\n", "{k: ".repeat(200_000));
        assert_eq!(mask(&hostile), hostile);
    }

    #[test]
    fn multibyte_values_keep_their_length() {
        let text = "password: pässwörd\n";
        let masked = mask(text);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("pässwörd"));
    }

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "SMTP_PASS",
            "apiToken",
            "client-secret",
            "SIGNING_KEY",
            "privateKey",
        ] {
            assert!(secret_name(name), "{name}");
        }
        for name in ["LOG_LEVEL", "KEYCLOAK_URL", "monkey", "passport"] {
            assert!(!secret_name(name), "{name}");
        }
    }
}
