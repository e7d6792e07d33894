//! The report's SVG charts: grouped bars with an optional reference line, written by hand (a
//! few dozen elements) so that the tool needs no plotting library and a chart's bytes change
//! only when its figures do.

use std::fmt::Write as _;

use super::fmt_number;

/// One series of bars: a bar in each category, in the legend under its name.
pub(super) struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    pub values: Vec<f64>,
}

/// The page's geometry and the value axis' scale: where a value lands.
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    plot_h: f64,
    /// The axis' tick spacing, and the value at its top (a whole number of ticks).
    step: f64,
    top_value: f64,
}

impl Frame {
    /// Room for every value and the reference line, with a round tick spacing (1, 2, 2.5 or 5
    /// times a power of ten, halved) giving at most six ticks.
    fn new(max: f64) -> Self {
        let (width, height, left, right, top, bottom) = (720.0, 380.0, 80.0, 20.0, 50.0, 70.0);
        let magnitude = 10f64.powf(max.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude / 2.0)
            .find(|s| max / s <= 6.0)
            .unwrap_or(magnitude);
        let top_value = (max / step).ceil() * step;
        Self { width, height, left, right, top, plot_h: height - top - bottom, step, top_value }
    }

    /// The y coordinate of `v`.
    fn y(&self, v: f64) -> f64 {
        self.top + self.plot_h - v / self.top_value * self.plot_h
    }

    /// The white page, the title, the grid with its tick labels and the unit.
    fn axes(&self, svg: &mut String, title: &str, unit: &str) {
        let (width, left, top, plot_h) = (self.width, self.left, self.top, self.plot_h);
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{title}</text>\n",
            self.height,
            width / 2.0
        );
        let mut tick = 0.0;
        while tick <= self.top_value + 1e-9 {
            let _ = writeln!(
                svg,
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                width - self.right,
                left - 6.0,
                self.y(tick) + 4.0,
                fmt_number(tick),
                y = self.y(tick)
            );
            tick += self.step;
        }
        let _ = writeln!(
            svg,
            "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">{unit}</text>",
            top + plot_h / 2.0,
            top + plot_h / 2.0
        );
    }

    /// A group of bars per category, each labelled with its value, the category under it.
    fn bars(&self, svg: &mut String, categories: &[String], series: &[Series]) {
        let (left, top, plot_h) = (self.left, self.top, self.plot_h);
        let group = (self.width - left - self.right) / categories.len().max(1) as f64;
        let bar = group * 0.7 / series.len().max(1) as f64;
        for (c, category) in categories.iter().enumerate() {
            let x0 = left + group * c as f64 + group * 0.15;
            for (s, serie) in series.iter().enumerate() {
                let value = serie.values.get(c).copied().unwrap_or(0.0);
                let x = x0 + bar * s as f64;
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                    self.y(value),
                    bar - 2.0,
                    (top + plot_h - self.y(value)).max(0.0),
                    serie.color,
                    x + bar / 2.0,
                    self.y(value) - 3.0,
                    fmt_number(value)
                );
            }
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{category}</text>",
                left + group * (c as f64 + 0.5),
                top + plot_h + 18.0
            );
        }
    }

    /// The dashed reference line (a target, a ceiling) with its label at the right.
    fn reference(&self, svg: &mut String, label: &str, value: f64) {
        let _ = writeln!(
            svg,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c0392b\">{label}</text>",
            self.left,
            self.width - self.right,
            self.width - self.right,
            self.y(value) - 5.0,
            y = self.y(value)
        );
    }

    /// Each series' colour and name along the bottom.
    fn legend(&self, svg: &mut String, series: &[Series]) {
        for (s, serie) in series.iter().enumerate() {
            let x = self.left + 160.0 * s as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
                self.height - 24.0,
                serie.color,
                x + 16.0,
                self.height - 14.0,
                serie.name
            );
        }
    }
}

/// A grouped bar chart with an optional horizontal reference line.
pub(super) fn bar_chart(
    title: &str,
    unit: &str,
    categories: &[String],
    series: &[Series],
    reference: Option<(&str, f64)>,
) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .chain(reference.map(|r| r.1))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let frame = Frame::new(max);
    let mut svg = String::new();
    frame.axes(&mut svg, title, unit);
    frame.bars(&mut svg, categories, series);
    if let Some((label, value)) = reference {
        frame.reference(&mut svg, label, value);
    }
    frame.legend(&mut svg, series);
    svg.push_str("</svg>\n");
    svg
}
