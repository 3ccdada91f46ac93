/* SPDX-License-Identifier: MIT */
/* 4x4 matrices for the demo, column-major as GL takes them. */
#ifndef VGPU_WGL_MAT4_H
#define VGPU_WGL_MAT4_H

struct mat4 {
	float m[16];
};

struct mat4 mat4_identity(void);
struct mat4 mat4_mul(struct mat4 a, struct mat4 b);
struct mat4 mat4_perspective(float fovy_rad, float aspect, float near_z, float far_z);
struct mat4 mat4_translate(float x, float y, float z);
/* Rotation by `angle` radians about the (unit) axis (x, y, z). */
struct mat4 mat4_rotate(float angle, float x, float y, float z);
/* The upper 3x3 (column-major): the normal matrix of a rotation-and-translation. */
void mat4_upper3(struct mat4 a, float out[9]);

#endif /* VGPU_WGL_MAT4_H */
