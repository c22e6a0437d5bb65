//! GeoReport v2 XML from the JSON form of a response: objects become elements named by
//! their keys, arrays repeat the singular of their element's name (`services` →
//! `<services><service>`, `attributes` → `<attribute>`, `values` → `<value>`, ...).

use serde_json::Value;

/// The XML declaration every document starts with.
pub const DECLARATION: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

/// A whole XML document with root element `root`.
pub fn document(root: &str, value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str(DECLARATION);
    out.push('\n');
    element(&mut out, root, value);
    out.push('\n');
    out
}

/// The element name of the items of an array element.
fn item_name(name: &str) -> &str {
    match name {
        "services" => "service",
        "service_requests" => "request",
        "service_request_updates" => "request_update",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Object(map) => {
            open(out, name);
            for (key, child) in map {
                element(out, key, child);
            }
            close(out, name);
        }
        Value::Array(items) => {
            open(out, name);
            let item = item_name(name);
            for child in items {
                element(out, item, child);
            }
            close(out, name);
        }
        Value::String(text) => {
            open(out, name);
            escape(out, text);
            close(out, name);
        }
        Value::Bool(flag) => {
            open(out, name);
            out.push_str(if *flag { "true" } else { "false" });
            close(out, name);
        }
        Value::Number(number) => {
            open(out, name);
            out.push_str(&number.to_string());
            close(out, name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_repeat_their_singular_and_text_is_escaped() {
        let value = serde_json::json!([{"service_code": "a&b", "metadata": true, "n": null}]);
        assert_eq!(
            document("services", &value),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><metadata>true</metadata><n/>\
             <service_code>a&amp;b</service_code></service></services>\n"
        );
        let errors = serde_json::json!([{"code": 400, "description": "<x>"}]);
        assert!(document("errors", &errors).contains("<errors><error><code>400</code><description>&lt;x&gt;"));
    }
}
