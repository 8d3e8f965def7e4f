//! Adam (Kingma and Ba, "Adam: a method for stochastic optimization", ICLR 2015), written out
//! so that its moments can be checkpointed: tch's optimiser keeps them inside libtorch, out of
//! reach of a save, and a resumed run would then restart them from zero.

use std::path::Path;

use tch::{nn, TchError, Tensor};

/// Adam's hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    /// Exponential decay of the first moment (β₁).
    pub beta1: f64,
    /// Exponential decay of the second moment (β₂).
    pub beta2: f64,
    /// Added to the root of the second moment (ε).
    pub eps: f64,
    /// L2 weight decay added to the gradient (0: none).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    /// The paper's defaults: β₁ 0.9, β₂ 0.999, ε 1e-8, no weight decay.
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Adam over the trainable variables of a [`nn::VarStore`], with its state on the variables'
/// device.
#[derive(Debug)]
pub struct Adam {
    config: AdamConfig,
    /// (name, parameter, first moment, second moment), sorted by name.
    slots: Vec<(String, Tensor, Tensor, Tensor)>,
    /// Steps taken (for the bias correction).
    step: i64,
}

impl Adam {
    /// Adam over every trainable variable of `vs`.
    pub fn new(vs: &nn::VarStore, config: AdamConfig) -> Self {
        let mut vars: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .map(|(name, p)| {
                let m = p.zeros_like().detach();
                let v = p.zeros_like().detach();
                (name, p, m, v)
            })
            .collect();
        Adam {
            config,
            slots,
            step: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> i64 {
        self.step
    }

    /// Clears the gradients of every parameter.
    pub fn zero_grad(&mut self) {
        for (_, p, _, _) in &mut self.slots {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.detach_().zero_();
            }
        }
    }

    /// One update with learning rate `lr` from the gradients left by `backward()`.
    pub fn step(&mut self, lr: f64) {
        let c = self.config;
        self.step += 1;
        let bc1 = 1.0 - c.beta1.powi(self.step as i32);
        let bc2 = 1.0 - c.beta2.powi(self.step as i32);
        tch::no_grad(|| {
            for (_, p, m, v) in &mut self.slots {
                let mut g = p.grad();
                if !g.defined() {
                    continue;
                }
                if c.weight_decay != 0.0 {
                    g = &g + &*p * c.weight_decay;
                }
                let _ = m.g_mul_scalar_(c.beta1).g_add_(&(&g * (1.0 - c.beta1)));
                let _ = v
                    .g_mul_scalar_(c.beta2)
                    .g_add_(&(&g * &g * (1.0 - c.beta2)));
                let denom = (&*v / bc2).sqrt() + c.eps;
                let update = (&*m / bc1) / denom * lr;
                let _ = p.g_sub_(&update);
            }
        });
    }

    /// Saves the moments and the step count (safetensors).
    pub fn save(&self, path: &Path) -> Result<(), TchError> {
        let mut named: Vec<(String, Tensor)> = Vec::with_capacity(2 * self.slots.len() + 1);
        for (name, _, m, v) in &self.slots {
            named.push((format!("m.{name}"), m.shallow_clone()));
            named.push((format!("v.{name}"), v.shallow_clone()));
        }
        named.push(("step".to_string(), Tensor::from_slice(&[self.step])));
        Tensor::write_safetensors(&named, path)
    }

    /// Restores what [`Adam::save`] wrote; every parameter must have its moments there.
    pub fn load(&mut self, path: &Path) -> Result<(), TchError> {
        let mut named: std::collections::HashMap<String, Tensor> =
            Tensor::read_safetensors(path)?.into_iter().collect();
        let missing = |k: &str| TchError::FileFormat(format!("{}: no '{k}'", path.display()));
        let step = named.remove("step").ok_or_else(|| missing("step"))?;
        tch::no_grad(|| -> Result<(), TchError> {
            for (name, _, m, v) in &mut self.slots {
                let mk = format!("m.{name}");
                let vk = format!("v.{name}");
                let ms = named.remove(&mk).ok_or_else(|| missing(&mk))?;
                let vs = named.remove(&vk).ok_or_else(|| missing(&vk))?;
                m.f_copy_(&ms)?;
                v.f_copy_(&vs)?;
            }
            Ok(())
        })?;
        self.step = step.int64_value(&[0]);
        Ok(())
    }
}
