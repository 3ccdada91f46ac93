/* SPDX-License-Identifier: MIT */
#include "mat4.h"

#include <math.h>

struct mat4 mat4_identity(void)
{
	return (struct mat4){ { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 } };
}

struct mat4 mat4_mul(struct mat4 a, struct mat4 b)
{
	struct mat4 r;

	for (int col = 0; col < 4; col++) {
		for (int row = 0; row < 4; row++) {
			float sum = 0;

			for (int k = 0; k < 4; k++)
				sum += a.m[k * 4 + row] * b.m[col * 4 + k];
			r.m[col * 4 + row] = sum;
		}
	}
	return r;
}

struct mat4 mat4_perspective(float fovy_rad, float aspect, float near_z, float far_z)
{
	float f = 1.0f / tanf(fovy_rad / 2);
	struct mat4 r = { { 0 } };

	r.m[0] = f / aspect;
	r.m[5] = f;
	r.m[10] = (far_z + near_z) / (near_z - far_z);
	r.m[11] = -1;
	r.m[14] = 2 * far_z * near_z / (near_z - far_z);
	return r;
}

struct mat4 mat4_translate(float x, float y, float z)
{
	struct mat4 r = mat4_identity();

	r.m[12] = x;
	r.m[13] = y;
	r.m[14] = z;
	return r;
}

struct mat4 mat4_rotate(float angle, float x, float y, float z)
{
	float c = cosf(angle), s = sinf(angle), t = 1 - c;

	return (struct mat4){ {
		t * x * x + c,
		t * x * y + s * z,
		t * x * z - s * y,
		0,
		t * x * y - s * z,
		t * y * y + c,
		t * y * z + s * x,
		0,
		t * x * z + s * y,
		t * y * z - s * x,
		t * z * z + c,
		0,
		0,
		0,
		0,
		1,
	} };
}

void mat4_upper3(struct mat4 a, float out[9])
{
	for (int col = 0; col < 3; col++)
		for (int row = 0; row < 3; row++)
			out[col * 3 + row] = a.m[col * 4 + row];
}
