//! Photos a citizen attaches to a web report: at most [`PHOTOS_MAX`] images, each at most
//! [`PHOTO_MAX_BYTES`], of a type read from the bytes themselves (never from a file name or a
//! declared type). They are kept content-addressed by SHA-256, like WhatsApp photos; the report's
//! `attachments` name them as `sha256:<hex>` ([`attachment_ref`]).

/// Photos that go with one report.
pub const PHOTOS_MAX: usize = 3;
/// The largest photo kept (WhatsApp's own limit for images, as for photos sent there).
pub const PHOTO_MAX_BYTES: usize = 5 << 20;

/// An image type that is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoType {
    Jpeg,
    Png,
    Webp,
}

impl PhotoType {
    /// The type the bytes show, if they are one of the kept images.
    pub fn sniff(b: &[u8]) -> Option<Self> {
        if b.starts_with(b"\xff\xd8\xff") {
            Some(Self::Jpeg)
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }
}

/// Why the photos of a report are refused; the index counts from 0 in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("at most {PHOTOS_MAX} photos go with one report; leave out the others")]
    TooMany,
    #[error("photo {} is larger than {} MiB; send a smaller one", .0 + 1, PHOTO_MAX_BYTES >> 20)]
    TooLarge(usize),
    #[error("photo {} is not a JPEG, PNG or WebP image", .0 + 1)]
    NotImage(usize),
}

impl PhotoError {
    /// The photo at fault, if it is one photo.
    pub fn index(&self) -> Option<usize> {
        match self {
            Self::TooMany => None,
            Self::TooLarge(i) | Self::NotImage(i) => Some(*i),
        }
    }
}

/// Checks the photos of one report: their number, then each one's size and type.
pub fn check(photos: &[&[u8]]) -> Result<Vec<PhotoType>, PhotoError> {
    if photos.len() > PHOTOS_MAX {
        return Err(PhotoError::TooMany);
    }
    photos
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.len() > PHOTO_MAX_BYTES {
                return Err(PhotoError::TooLarge(i));
            }
            PhotoType::sniff(p).ok_or(PhotoError::NotImage(i))
        })
        .collect()
}

/// How a report's `attachments` name a photo kept under the SHA-256 `sha_hex`.
pub fn attachment_ref(sha_hex: &str) -> String {
    format!("sha256:{sha_hex}")
}

/// The SHA-256 (hex) an attachment names, if it names one directly (WhatsApp photos are named
/// by their media id instead).
pub fn sha_of(attachment: &str) -> Option<&str> {
    attachment.strip_prefix("sha256:").filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        for (bytes, want) in [
            (&b"\xff\xd8\xff\xe0rest"[..], Some(PhotoType::Jpeg)),
            (b"\x89PNG\r\n\x1a\n....", Some(PhotoType::Png)),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Some(PhotoType::Webp)),
            (b"RIFF\x10\0\0\0WAVEfmt ", None),
            (b"<svg xmlns=", None),
            (b"%PDF-1.7", None),
            (b"", None),
        ] {
            assert_eq!(PhotoType::sniff(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn count_then_size_then_type() {
        let jpeg = b"\xff\xd8\xff\xe0".to_vec();
        let big = [b"\xff\xd8\xff".as_slice(), &vec![0u8; PHOTO_MAX_BYTES]].concat();
        let j = jpeg.as_slice();
        assert_eq!(check(&[]), Ok(vec![]));
        assert_eq!(check(&[j, j, j]), Ok(vec![PhotoType::Jpeg; 3]));
        assert_eq!(check(&[j, j, j, j]), Err(PhotoError::TooMany));
        assert_eq!(check(&[j, &big]), Err(PhotoError::TooLarge(1)));
        assert_eq!(check(&[j, b"GIF89a"]), Err(PhotoError::NotImage(1)));
        assert_eq!(check(&[&vec![0xffu8; PHOTO_MAX_BYTES]]), Err(PhotoError::NotImage(0)));
    }

    #[test]
    fn attachment_refs_round_trip() {
        let sha = "ab".repeat(32);
        assert_eq!(sha_of(&attachment_ref(&sha)), Some(sha.as_str()));
        assert_eq!(sha_of("wamid.HBgM"), None);
        assert_eq!(sha_of("sha256:../../etc"), None);
    }
}
