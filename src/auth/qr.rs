//! QR codes of `otpauth://` URIs, as SVG, so a phone can scan the enrolment.

use qrcodegen::{QrCode, QrCodeEcc};

/// An SVG image of `text` as a QR code with a quiet zone, or `None` when too long.
pub fn svg(text: &str) -> Option<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" \
         role=\"img\" aria-label=\"QR code\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_otpauth_uri_becomes_a_square_svg() {
        let svg = super::svg("otpauth://totp/Relais:studio%40example.fr?secret=ABC&issuer=Relais").expect("fits");
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 ") && svg.contains("<path d=\"M"));
    }
}
