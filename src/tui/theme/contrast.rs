//! WCAG 2.x contrast of two sRGB colours: how well one reads on the other.
//!
//! The themes promise text that reads in a bright room on a projector; this is the
//! measure the promise is checked with (4.5:1 is WCAG's minimum for normal text).

/// Relative luminance of an sRGB colour (0 for black, 1 for white), per WCAG 2.x.
pub fn relative_luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// `(L1 + 0.05) / (L2 + 0.05)`, the lighter colour's luminance over the darker's:
/// from 1 (the same colour) to 21 (black on white), whichever order they come in.
pub fn contrast_ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_on_white_is_21_and_a_colour_on_itself_is_1() {
        let (black, white) = ((0, 0, 0), (255, 255, 255));
        assert!((contrast_ratio(black, white) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(white, black) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio((30, 30, 30), (30, 30, 30)) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn matches_published_ratios() {
        // WCAG's own examples: #777777 on white is just under 4.5:1, #767676 just over.
        let white = (255, 255, 255);
        assert!(contrast_ratio((0x77, 0x77, 0x77), white) < 4.5);
        assert!(contrast_ratio((0x76, 0x76, 0x76), white) > 4.5);
        // Pure green weighs most: 0.7152 of white's luminance.
        assert!((relative_luminance((0, 255, 0)) - 0.7152).abs() < 1e-9);
    }
}
